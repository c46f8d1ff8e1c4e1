import Foundation
import SwiftLens

/// Makes case `index` of a run seeded `seed`: the family by round robin (so every family gets
/// its share of any range of cases), then the base fixture and the mutation from the case's
/// own `RandomGenerator` stream.
///
/// Every choice comes from that stream and every JSON text is written with sorted keys, so a
/// case is the same bytes on every run, machine and platform: `--case N` reproduces it.
public struct FuzzCaseGenerator: Sendable {
    public let corpus: FuzzCorpus
    public let seed: UInt64
    /// The families cases are drawn from, in round-robin order.
    public let families: [FuzzFamily]

    public init(corpus: FuzzCorpus, seed: UInt64, families: [FuzzFamily] = FuzzFamily.allCases) {
        precondition(!families.isEmpty, "FuzzCaseGenerator needs at least one family")
        self.corpus = corpus
        self.seed = seed
        self.families = families
    }

    /// Case `index`.
    public func makeCase(_ index: Int) -> FuzzCase {
        var rng = RandomGenerator.forCase(seed: seed, index: index)
        let family = families[index % families.count]
        let all = corpus.baseNames
        let tl = FuzzCorpus.transformerLensBases
        func directory(_ base: String, _ m: Mutation, _ rng: inout RandomGenerator) -> FuzzCase {
            let process = rng.chance(0.2)
            return FuzzCase(index: index, seed: seed, family: family, base: base, mutation: "\(family.rawValue):\(m.id)",
                            detail: m.detail + (process ? " (loaded with process: true)" : ""), validity: m.validity,
                            input: .directory(files: m.files, process: process))
        }
        switch family {
        case .safetensorsBytes:
            let base = corpus.bases[rng.pick(all)]!
            return directory(base.name, SafetensorsMutator.mutateBytes(base, corpus: corpus, &rng), &rng)
        case .safetensorsHeader:
            let base = corpus.bases[rng.pick(all)]!
            return directory(base.name, SafetensorsMutator.mutateHeader(base, &rng), &rng)
        case .transformerLensConfig:
            let base = corpus.bases[rng.pick(tl)]!
            return directory(base.name, TransformerLensConfigMutator.mutate(base, &rng), &rng)
        case .huggingFaceGPT2:
            let base = corpus.bases[FuzzCorpus.gpt2Base]!
            return directory(base.name, HuggingFaceConfigMutator.mutate(base, .gpt2, &rng), &rng)
        case .huggingFaceLlama:
            let base = corpus.bases[FuzzCorpus.llamaBase]!
            return directory(base.name, HuggingFaceConfigMutator.mutate(base, .llama, &rng), &rng)
        case .tokens:
            let base = corpus.bases[rng.pick(all)]!
            let m = TokenMutator.mutate(base, &rng)
            return FuzzCase(index: index, seed: seed, family: family, base: base.name, mutation: "\(family.rawValue):\(m.id)",
                            detail: m.detail, validity: m.validity, input: .tokens(base: base.name, tokens: m.source, call: m.call))
        case .gguf:
            // Mostly the tiny file; the others for the entries only they have.
            let names = FuzzCorpus.ggufBaseNames
            let base = corpus.ggufBases[rng.chance(0.6) ? names[0] : rng.pick(names)]!
            let m = GGUFMutator.mutate(base, &rng)
            return FuzzCase(index: index, seed: seed, family: family, base: base.name, mutation: "\(family.rawValue):\(m.id)",
                            detail: m.detail, validity: m.validity, input: .gguf(m.data))
        }
    }
}
