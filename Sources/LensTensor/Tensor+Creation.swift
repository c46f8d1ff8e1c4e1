// Factory functions. Random tensors draw from a `RandomGenerator`, so a seed reproduces the same
// values on every platform.

extension Tensor {
    /// All zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }
    /// All ones.
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 1) }
    /// Every element `value`.
    public static func full(_ shape: [Int], _ value: Float) -> Tensor { Tensor(shape: shape, repeating: value) }
    /// Zeros shaped like `other`.
    public static func zeros(like other: Tensor) -> Tensor { zeros(other.shape) }
    /// Ones shaped like `other`.
    public static func ones(like other: Tensor) -> Tensor { ones(other.shape) }

    /// `[0, 1, …, end − 1]`.
    public static func arange(_ end: Int) -> Tensor { Tensor((0..<Swift.max(end, 0)).map(Float.init)) }

    /// `start, start + step, …` while below `end` (above, for a negative step).
    public static func arange(from start: Float, to end: Float, step: Float = 1) -> Tensor {
        precondition(step != 0, "arange needs a non-zero step")
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor((0..<n).map { start + Float($0) * step })
    }

    /// `count` evenly spaced values from `start` through `end`.
    public static func linspace(from start: Float, through end: Float, count: Int) -> Tensor {
        precondition(count >= 0, "linspace needs count ≥ 0")
        if count == 1 { return Tensor([start]) }
        let step = (end - start) / Float(Swift.max(count - 1, 1))
        return Tensor((0..<count).map { start + Float($0) * step })
    }

    /// The n×n identity matrix.
    public static func eye(_ n: Int) -> Tensor {
        var t = zeros([n, n])
        t.withUnsafeMutableBufferPointer { p in for i in 0..<n { p[i * n + i] = 1 } }
        return t
    }

    /// Samples from N(mean, std²).
    public static func randomNormal(_ shape: [Int], mean: Float = 0, std: Float = 1,
                                    using generator: inout RandomGenerator) -> Tensor {
        var t = Tensor(uninitializedShape: checkedShape(shape))
        t.withUnsafeMutableBufferPointer { p in
            for i in p.indices { p[i] = mean + std * Float(generator.nextNormal()) }
        }
        return t
    }

    /// Samples from N(mean, std²) with a fresh generator seeded by `seed`.
    public static func randomNormal(_ shape: [Int], mean: Float = 0, std: Float = 1, seed: UInt64) -> Tensor {
        var g = RandomGenerator(seed: seed)
        return randomNormal(shape, mean: mean, std: std, using: &g)
    }

    /// Samples uniform in [low, high).
    public static func randomUniform(_ shape: [Int], low: Float = 0, high: Float = 1,
                                     using generator: inout RandomGenerator) -> Tensor {
        var t = Tensor(uninitializedShape: checkedShape(shape))
        t.withUnsafeMutableBufferPointer { p in
            for i in p.indices { p[i] = low + (high - low) * generator.nextFloat() }
        }
        return t
    }

    /// Samples uniform in [low, high) with a fresh generator seeded by `seed`.
    public static func randomUniform(_ shape: [Int], low: Float = 0, high: Float = 1, seed: UInt64) -> Tensor {
        var g = RandomGenerator(seed: seed)
        return randomUniform(shape, low: low, high: high, using: &g)
    }
}

extension IntTensor {
    /// Uniform integers in `0 ..< bound`.
    public static func randomIntegers(_ shape: [Int], below bound: Int, using generator: inout RandomGenerator) -> IntTensor {
        IntTensor(shape: shape, values: (0..<shapeCount(checkedShape(shape))).map { _ in generator.nextInt(below: bound) })
    }

    /// Uniform integers in `0 ..< bound` with a fresh generator seeded by `seed`.
    public static func randomIntegers(_ shape: [Int], below bound: Int, seed: UInt64) -> IntTensor {
        var g = RandomGenerator(seed: seed)
        return randomIntegers(shape, below: bound, using: &g)
    }

    /// `[0, 1, …, end − 1]`.
    public static func arange(_ end: Int) -> IntTensor { IntTensor(Array(0..<Swift.max(end, 0))) }
}
