import LensKernels

import Foundation

/// Nested-bracket text for an array of `shape`, summarising long axes as `first 3, …, last 3`
/// once the array has more than 1000 elements (as NumPy and PyTorch print). Continuation lines
/// are indented by `indent` spaces (the width of the text printed before the first bracket).
func formatNested(shape: [Int], count: Int, indent: Int = 0, _ element: (Int) -> String) -> String {
    if shape.isEmpty { return element(0) }
    let summarise = count > 1000
    let strides = contiguousStrides(shape)
    // Format every shown element first so that columns can be aligned.
    func shownIndices(_ n: Int) -> [Int?] {
        summarise && n > 6 ? [0, 1, 2, nil, n - 3, n - 2, n - 1] : (0..<n).map { Optional($0) }
    }
    var cells: [Int: String] = [:]
    func collect(_ axis: Int, _ offset: Int) {
        if axis == shape.count { cells[offset] = element(offset); return }
        for i in shownIndices(shape[axis]) { if let i { collect(axis + 1, offset + i * strides[axis]) } }
    }
    collect(0, 0)
    let width = cells.values.map(\.count).max() ?? 0
    func render(_ axis: Int, _ offset: Int, _ indent: Int) -> String {
        if axis == shape.count - 1 {
            let items = shownIndices(shape[axis]).map { i -> String in
                guard let i else { return "..." }
                let s = cells[offset + i]!
                return String(repeating: " ", count: width - s.count) + s
            }
            return "[" + items.joined(separator: ", ") + "]"
        }
        let separator = "," + String(repeating: "\n", count: shape.count - axis - 1) + String(repeating: " ", count: indent + 1)
        let items = shownIndices(shape[axis]).map { i -> String in
            guard let i else { return "..." }
            return render(axis + 1, offset + i * strides[axis], indent + 1)
        }
        return "[" + items.joined(separator: separator) + "]"
    }
    return render(0, 0, indent)
}

extension Tensor: CustomStringConvertible {
    /// The values with 4 significant decimals (scientific notation when magnitudes call for
    /// it), nested by axis, followed by the shape.
    public var description: String {
        let values = scalars
        let finite = values.filter(\.isFinite).map { Swift.abs($0) }
        let largest = finite.max() ?? 0, smallest = finite.filter { $0 > 0 }.min() ?? 0
        let integral = finite.allSatisfy { $0 == $0.rounded() } && largest < 1e6
        let scientific = largest >= 1e5 || (smallest > 0 && smallest < 1e-4)
        let body = formatNested(shape: shape, count: count, indent: 7) { i in
            let v = values[i]
            if v.isNaN { return "nan" }
            if v.isInfinite { return v < 0 ? "-inf" : "inf" }
            if integral { return String(format: "%.0f.", v) }
            return String(format: scientific ? "%.4e" : "%.4f", v)
        }
        let tracked = isTracked ? ", tracked" : ""
        return "Tensor(\(body), shape: \(shape)\(tracked))"
    }
}
