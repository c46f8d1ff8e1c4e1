/// A seeded pseudo-random generator whose streams are identical on every platform.
///
/// xoshiro256** seeded through SplitMix64. Floats take the top 24 bits, doubles the top 53;
/// normals use Marsaglia's polar method with a logarithm written here in plain IEEE arithmetic
/// (libm's `log` may differ by an ulp between Linux and macOS, which would change the stream).
/// Swift never fuses multiply-adds on its own, so the same seed gives the same bits everywhere.
public struct RandomGenerator: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    private var spareNormal: Double?

    /// A generator whose whole stream is determined by `seed`.
    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1), 24 random bits.
    public mutating func nextFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Uniform in [0, 1), 53 random bits.
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform integer in `0 ..< bound` without modulo bias (Lemire's method).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:) needs a positive bound, got \(bound)")
        let b = UInt64(bound)
        var product = next().multipliedFullWidth(by: b)
        if product.low < b {
            let threshold = (0 &- b) % b
            while product.low < threshold { product = next().multipliedFullWidth(by: b) }
        }
        return Int(product.high)
    }

    /// Standard normal N(0, 1).
    public mutating func nextNormal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        while true {
            let u = 2 * nextDouble() - 1, v = 2 * nextDouble() - 1
            let s = u * u + v * v
            if s >= 1 || s == 0 { continue }
            let m = (-2 * portableLog(s) / s).squareRoot()
            spareNormal = v * m
            return u * m
        }
    }

    /// A uniformly random permutation of `0 ..< n` (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) { p.swapAt(i, nextInt(below: i + 1)) }
        }
        return p
    }

    /// `count` distinct values from `0 ..< n`, in random order.
    public mutating func sampleWithoutReplacement(_ count: Int, from n: Int) -> [Int] {
        precondition(count <= n, "cannot draw \(count) distinct values from \(n)")
        var pool = Array(0..<n)
        for i in 0..<count { pool.swapAt(i, i + nextInt(below: n - i)) }
        return Array(pool[0..<count])
    }
}

/// Natural logarithm in plain IEEE double arithmetic (deterministic on every platform); relative
/// error below 1e-15 for positive finite x.
func portableLog(_ x: Double) -> Double {
    precondition(x > 0 && x.isFinite, "portableLog needs a positive finite value")
    var e = Double(x.exponent)
    var m = x.significand  // [1, 2)
    if m > 1.4142135623730951 { m /= 2; e += 1 }
    let s = (m - 1) / (m + 1)
    let s2 = s * s
    // 2·atanh(s) = 2(s + s³/3 + s⁵/5 + …); |s| ≤ 0.172 so eleven terms reach double precision.
    var series = 1.0 / 21
    for k in stride(from: 19, through: 1, by: -2) { series = series * s2 + 1.0 / Double(k) }
    let logM = 2 * s * series
    let ln2Hi = 6.93147180369123816490e-01, ln2Lo = 1.90821492927058770002e-10
    return e * ln2Hi + (e * ln2Lo + logM)
}
