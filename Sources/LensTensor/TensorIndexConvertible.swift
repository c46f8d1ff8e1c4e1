/// Anything usable inside a tensor subscript: `Int`, ranges, `[Int]` and ``TensorIndex`` values.
public protocol TensorIndexConvertible {
    var tensorIndex: TensorIndex { get }
}

extension TensorIndexConvertible where Self == TensorIndex {
    /// Every element of the axis.
    public static var all: TensorIndex { TensorIndex.all }
    /// A new axis of extent 1.
    public static var newAxis: TensorIndex { TensorIndex.newAxis }
    /// As many `.all` as needed.
    public static var ellipsis: TensorIndex { TensorIndex.ellipsis }
    /// `start..<end` in steps of `step`.
    public static func stride(_ start: Int?, _ end: Int?, _ step: Int = 1) -> TensorIndex {
        TensorIndex.stride(start, end, step)
    }
    /// These positions, in this order.
    public static func indices(_ list: [Int]) -> TensorIndex { TensorIndex.indices(list) }
}

extension Int: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { .at(self) }
}
extension Range<Int>: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { .stride(lowerBound, upperBound) }
}
extension ClosedRange<Int>: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { .stride(lowerBound, upperBound + 1) }
}
extension PartialRangeFrom<Int>: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { .stride(lowerBound, nil) }
}
extension PartialRangeUpTo<Int>: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { .stride(nil, upperBound) }
}
extension PartialRangeThrough<Int>: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { .stride(nil, upperBound + 1) }
}
extension Array: TensorIndexConvertible where Element == Int {
    public var tensorIndex: TensorIndex { .indices(self) }
}
