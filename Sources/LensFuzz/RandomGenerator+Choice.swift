import SwiftLens

/// Seeded choices for the mutators, all drawn from SwiftLens's own `RandomGenerator` so that a
/// case's stream is identical on every platform and in every build.
extension RandomGenerator {
    /// A uniformly chosen element of a non-empty array.
    mutating func pick<T>(_ items: [T]) -> T { items[nextInt(below: items.count)] }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { nextDouble() < p }

    /// A uniform integer in `range`.
    mutating func int(in range: ClosedRange<Int>) -> Int { range.lowerBound + nextInt(below: range.count) }

    /// The generator of case `index` of a run seeded `seed`: independent of every other case,
    /// so one case is reproduced without generating the ones before it.
    static func forCase(seed: UInt64, index: Int) -> RandomGenerator {
        RandomGenerator(seed: seed ^ (UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03) ^ 0x5A17_F022)
    }
}
