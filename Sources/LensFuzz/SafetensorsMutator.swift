import Foundation
import SwiftLens

/// Mutates a base's weights file, either as raw bytes or through its JSON header, and says
/// whether the result is known to be invalid.
///
/// The fixture files are packed (each tensor's bytes follow the previous one's, and the last
/// ends the file), so a shifted, reversed or widened byte range is certain to overlap a
/// neighbour or leave the file; every tensor in them is one the config implies, so a missing,
/// renamed or reshaped one disagrees with the config.
enum SafetensorsMutator {
    // MARK: Bytes

    static func mutateBytes(_ base: FuzzCorpus.Base, corpus: FuzzCorpus, _ rng: inout RandomGenerator) -> Mutation {
        var files = base.files
        let file = base.weights
        let headerLength = file.prefix(8).enumerated().reduce(0) { $0 | (Int($1.element) << (8 * $1.offset)) }
        let image = SafetensorsImage(file)
        let dataEnd = image.names.compactMap { image.offsets($0).last }.max() ?? 0
        func done(_ id: String, _ detail: String, _ validity: FuzzValidity, _ bytes: Data) -> Mutation {
            files[base.weightsName] = bytes
            return Mutation(id: id, detail: detail, validity: validity, files: files)
        }
        switch rng.nextInt(below: 11) {
        case 0, 1:
            let choices: [(UInt64, FuzzValidity)] = [
                (0, .invalid), (UInt64(rng.int(in: 1...7)), .invalid), (UInt64(headerLength - 1), .unknown),
                (UInt64(headerLength + rng.int(in: 1...16)), .unknown), (UInt64(file.count - 8), .invalid),
                (UInt64(file.count), .invalid), (UInt64.max, .invalid), (1 << 63, .invalid), (UInt64(Int.max), .invalid),
                (100_000_001, .invalid), (UInt64(rng.nextInt(below: file.count)), .unknown),
            ]
            let (declared, validity) = rng.pick(choices)
            var bytes = file
            withUnsafeBytes(of: declared.littleEndian) { bytes.replaceSubrange(0..<8, with: $0) }
            return done("length-prefix:\(validity == .invalid ? "impossible" : "shifted")", "declared header length \(declared) (actual \(headerLength))", validity, bytes)
        case 2:
            let cut = rng.pick([rng.nextInt(below: 8), 8 + rng.nextInt(below: headerLength),
                                8 + headerLength + rng.nextInt(below: max(dataEnd, 1))])
            return done("truncate:\(cut < 8 ? "prefix" : cut < 8 + headerLength ? "header" : "data")",
                        "file cut to \(cut) of \(file.count) bytes", .invalid, file.prefix(cut))
        case 3:
            var bytes = file
            let n = rng.pick([1, 7, 64, 4096])
            bytes.append(contentsOf: (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
            return done("append:junk", "\(n) random bytes appended", .unknown, bytes)
        case 4:
            var bytes = file
            let n = rng.int(in: 1...8)
            for _ in 0..<n { bytes[8 + rng.nextInt(below: headerLength)] ^= UInt8(1 << rng.nextInt(below: 8)) }
            return done("header:bit-flips", "\(n) flipped bits in the header", .unknown, bytes)
        case 5:
            var bytes = file
            let at = 8 + rng.nextInt(below: headerLength)
            let value = rng.pick([0xFF, 0xC0, 0x80, 0xFE] as [UInt8])
            bytes[at] = value
            return done("header:non-utf8", "header byte \(at) set to 0x\(String(value, radix: 16))", .invalid, bytes)
        case 6:
            var bytes = file
            let n = rng.int(in: 1...16)
            for _ in 0..<n { bytes[8 + headerLength + rng.nextInt(below: max(dataEnd, 1))] ^= UInt8(1 << rng.nextInt(below: 8)) }
            // Weight values change (possibly to NaN or infinity): still a valid file.
            return done("data:bit-flips", "\(n) flipped bits in the tensor data", .valid, bytes)
        case 7:
            var bytes = file
            bytes.replaceSubrange(8..<(8 + headerLength), with: Data(count: headerLength))
            return done("header:zeroed", "header bytes all NUL", .invalid, bytes)
        case 8:
            let n = rng.int(in: 0...7)
            return done("file:too-short", "a \(n)-byte file", .invalid, file.prefix(n))
        case 9:
            var bytes = file
            let at = 8 + rng.nextInt(below: headerLength)
            let inserted = Data((0..<rng.int(in: 1...32)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
            bytes.insert(contentsOf: inserted, at: at)
            let newLength = UInt64(headerLength + inserted.count).littleEndian
            withUnsafeBytes(of: newLength) { bytes.replaceSubrange(0..<8, with: $0) }
            return done("header:inserted-bytes", "\(inserted.count) random bytes inserted at \(at), length prefix adjusted", .unknown, bytes)
        default:
            // Another fixture's weights: a valid file for a different model.
            let others = corpus.baseNames.filter { $0 != base.name }
            let other = corpus.bases[rng.pick(others)]!
            return done("file:foreign-weights", "the weights of \(other.name)", .invalid, other.weights)
        }
    }

    // MARK: Header

    static func mutateHeader(_ base: FuzzCorpus.Base, _ rng: inout RandomGenerator) -> Mutation {
        var files = base.files
        var image = SafetensorsImage(base.weights)
        let names = image.names
        let name = rng.pick(names)
        let entry = image.entry(name)
        let shape = image.shape(name), offsets = image.offsets(name)
        let packed = image.isPacked
        let dtype = entry["dtype"] as? String ?? "F32"
        let isTransformerLens = base.layout == .transformerLens
        func done(_ id: String, _ detail: String, _ validity: FuzzValidity) -> Mutation {
            files[base.weightsName] = image.assembled()
            return Mutation(id: id, detail: "\(detail)", validity: validity, files: files)
        }
        func edit(_ field: String, _ value: Any?) {
            var e = entry
            e[field] = value
            image.header[name] = e
        }
        func text(_ value: Any) -> String { String(decoding: JSONText.render(value).prefix(80), as: UTF8.self) }

        switch rng.nextInt(below: 14) {
        case 0:
            // dtype
            let all = SafetensorsDType.allCases.map(\.rawValue)
            let size = SafetensorsDType(rawValue: dtype)?.size ?? 4
            switch rng.nextInt(below: 4) {
            case 0:
                let v = rng.pick(["F8_E4M3", "float32", "f32", "", "Q4_0", "F32 ", "I128", "C64"])
                edit("dtype", v)
                return done("dtype:unknown", "\(name) dtype \(v.debugDescription)", .invalid)
            case 1:
                let v: Any? = rng.pick([42, true, NSNull(), ["F32"], nil] as [Any?])
                edit("dtype", v)
                return done("dtype:wrong-type", "\(name) dtype \(v.map(text) ?? "(removed)")", .invalid)
            default:
                let v = rng.pick(all.filter { $0 != dtype })
                edit("dtype", v)
                let sameSize = SafetensorsDType(rawValue: v)!.size == size
                // Same width: a different reading of the same bytes (valid); other widths
                // disagree with the byte range.
                return done("dtype:\(sameSize ? "same-width" : "other-width")", "\(name) dtype \(dtype) → \(v)", sameSize ? .unknown : .invalid)
            }
        case 1, 2:
            // shape
            let choices: [(String, Any?, FuzzValidity)] = [
                ("negative", shape.isEmpty ? [-1] : [-shape[0]] + shape.dropFirst(), .invalid),
                ("negative", [-1, -(shape.reduce(1, *))], .invalid),
                ("zero", [0] + shape.dropFirst(), .invalid),
                ("huge", [1 << 40, 1 << 40], .invalid),
                ("overflow", [Int(1) << 32, Int(1) << 32, Int(1) << 32], .invalid),
                ("overflow", [Int.max, 2], .invalid),
                ("overflow", [Int(1) << 62, 4], .invalid),
                ("huge-literal", [RawJSON("1e30"), 64] as [Any], .invalid),
                ("huge-literal", [RawJSON("123456789012345678901234567890")] as [Any], .invalid),
                ("fraction", shape.map { Double($0) + 0.5 }, .invalid),
                ("integral-float", shape.map { RawJSON("\($0).0") }, .unknown),
                ("bool", shape.map { _ in true }, .invalid),
                ("string", shape.map { "\($0)" }, .invalid),
                ("nested", [shape], .invalid),
                ("scalar", [Int](), .invalid),
                ("not-array", rng.pick([64, "64", NSNull(), ["d": 64]] as [Any]), .invalid),
                ("remove", nil, .invalid),
                ("rank-plus-one", [1] + shape, .invalid),
                ("rank-plus-one", shape + [1], .invalid),
            ]
            let (op, value, validity) = rng.pick(choices)
            edit("shape", value)
            return done("shape:\(op)", "\(name) shape \(shape) → \(value.map(text) ?? "(removed)")", validity)
        case 3:
            // A shape that fits the byte range but not the config.
            var consistent = shape
            let op: String
            if shape.count >= 2, rng.chance(0.5) {
                consistent = shape.reversed()
                op = "transposed"
            } else {
                consistent = [shape.reduce(1, *)]
                op = "flattened"
            }
            if rng.chance(0.3) {
                // An empty tensor with an empty byte range.
                consistent = [0] + shape.dropFirst()
                var e = entry
                e["shape"] = consistent
                e["data_offsets"] = [offsets.first ?? 0, offsets.first ?? 0]
                image.header[name] = e
                return done("shape:empty-consistent", "\(name) shape \(shape) → \(consistent), empty byte range", .invalid)
            }
            edit("shape", consistent)
            return done("shape:\(op)-consistent", "\(name) shape \(shape) → \(consistent)", consistent == shape ? .valid : .invalid)
        case 4, 5:
            // data_offsets
            guard offsets.count == 2 else { return done("offsets:none", "no offsets", .unknown) }
            let (b, e) = (offsets[0], offsets[1])
            let other = rng.pick(names.filter { $0 != name })
            let otherOffsets = image.offsets(other)
            let sure: FuzzValidity = packed ? .invalid : .unknown
            let choices: [(String, Any?, FuzzValidity)] = [
                ("reversed", [e, b], .invalid),
                ("overlapping", otherOffsets, .invalid),
                ("overlapping", [max(b - 4, 0), e - 4 < b ? e : e - 4], b >= 4 ? sure : .unknown),
                ("unaligned", [b + 1, e + 1], sure),
                ("unaligned", [b + 2, e + 2], sure),
                ("unaligned", [b + 3, e + 3], sure),
                ("out-of-range", [b, image.data.count + 4], .invalid),
                ("out-of-range", [image.data.count + 4, image.data.count + 4 + e - b], .invalid),
                ("huge", [0, Int(1) << 62], .invalid),
                ("huge", [Int.max - 4, Int.max], .invalid),
                ("huge-literal", [RawJSON("1e300"), RawJSON("1e301")] as [Any], .invalid),
                ("negative", [-4, e - b - 4], .invalid),
                ("negative", [b - (e - b) * 1000, b], .invalid),
                ("fraction", [Double(b) + 0.5, Double(e) + 0.5], .invalid),
                ("string", ["\(b)", "\(e)"], .invalid),
                ("bool", [false, true], .invalid),
                ("arity", [b], .invalid),
                ("arity", [b, e, e], .invalid),
                ("not-array", rng.pick([b, "\(b)-\(e)", NSNull(), ["begin": b, "end": e]] as [Any]), .invalid),
                ("remove", nil, .invalid),
            ]
            let (op, value, validity) = rng.pick(choices)
            edit("data_offsets", value)
            return done("offsets:\(op)", "\(name) data_offsets \(offsets) → \(value.map(text) ?? "(removed)")", validity)
        case 6:
            // Duplicate keys: a second entry of the same name, rendered as text.
            var rendered = JSONText.render(image.header)
            let conflicting = rng.chance(0.6)
            var twin = entry
            if conflicting {
                // Of the same byte width, so either copy alone would load: only a reader that
                // notices the duplicate refuses the file.
                twin["dtype"] = dtype == "F32" ? "I32" : "F32"
            }
            let extra = Data(",\"\(name)\":".utf8) + JSONText.render(twin)
            rendered.insert(contentsOf: extra, at: rendered.count - 1)
            files[base.weightsName] = SafetensorsImage.assemble(header: rendered, data: image.data)
            return Mutation(id: "duplicate-key:\(conflicting ? "conflicting" : "identical")",
                            detail: "\(name) appears twice\(conflicting ? ", the second with dtype \(twin["dtype"]!)" : "")",
                            validity: conflicting ? .invalid : .unknown, files: files)
        case 7:
            // Deep nesting.
            let depth = rng.pick([64, 600, 5_000, 100_000])
            switch rng.nextInt(below: 4) {
            case 0:
                files[base.weightsName] = SafetensorsImage.assemble(header: JSONText.nested(depth: depth).bytes, data: image.data)
                return Mutation(id: "nesting:top-level", detail: "the header is \(depth) nested arrays", validity: .invalid, files: files)
            case 1:
                image.header[name] = JSONText.nested(depth: depth)
                return done("nesting:entry", "\(name) is \(depth) nested arrays", .invalid)
            case 2:
                image.header["__metadata__"] = ["format": JSONText.nested(depth: depth)]
                return done("nesting:metadata", "a metadata value of \(depth) nested arrays", .invalid)
            default:
                edit("fuzz_nested", JSONText.nested(depth: depth))
                return done("nesting:entry-field", "\(name) has an extra field of \(depth) nested arrays", .unknown)
            }
        case 8:
            // Invalid UTF-8 inside a key or a string value.
            var rendered = JSONText.render(image.header)
            let bad: [UInt8] = rng.pick([[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80]])
            let needle = Data("\"\(name)\"".utf8)
            if let range = rendered.range(of: needle) { rendered.insert(contentsOf: bad, at: range.lowerBound + 1 + rng.nextInt(below: name.utf8.count)) }
            files[base.weightsName] = SafetensorsImage.assemble(header: rendered, data: image.data)
            return Mutation(id: "non-utf8:key", detail: "bytes \(bad) inside the key \(name)", validity: .invalid, files: files)
        case 9:
            // Metadata.
            switch rng.nextInt(below: 5) {
            case 0:
                let size = rng.pick([1 << 12, 1 << 16, 1 << 20, 4 << 20])
                image.header["__metadata__"] = ["format": "pt", "fuzz": String(repeating: "m", count: size)]
                return done("metadata:huge", "a \(size)-character metadata value", .valid)
            case 1:
                let count = rng.pick([100, 10_000])
                image.header["__metadata__"] = Dictionary(uniqueKeysWithValues: (0..<count).map { ("k\($0)", "v\($0)") })
                return done("metadata:many-keys", "\(count) metadata keys", .valid)
            case 2:
                image.header["__metadata__"] = ["format": rng.pick([1, true, NSNull(), ["pt"], ["a": "b"]] as [Any])]
                return done("metadata:non-string-value", "a metadata value that is not a string", .invalid)
            case 3:
                image.header["__metadata__"] = rng.pick(["pt", 42, ["format", "pt"], NSNull()] as [Any])
                return done("metadata:not-object", "__metadata__ is not an object", .invalid)
            default:
                image.header["__metadata__"] = nil
                return done("metadata:removed", "no __metadata__", .valid)
            }
        case 10:
            // A tensor missing or renamed.
            let entryValue = image.header[name]
            image.header[name] = nil
            if rng.chance(0.5) {
                let renamed = rng.pick([name + "_x", name.uppercased(), name.replacingOccurrences(of: ".0.", with: ".9."), " " + name, name + "\u{0}"])
                image.header[renamed] = entryValue
                return done("tensor:renamed", "\(name) renamed \(renamed.debugDescription)", renamed == name ? .valid : .invalid)
            }
            return done("tensor:missing", "\(name) removed", .invalid)
        case 11:
            // An extra tensor, with its own bytes appended to the data section.
            let layers = names.compactMap { n -> Int? in
                let parts = n.split(separator: ".")
                guard let i = parts.firstIndex(where: { $0 == "blocks" || $0 == "h" || $0 == "layers" }), i + 1 < parts.count else { return nil }
                return Int(parts[i + 1])
            }.max() ?? 0
            let beyond = layers + 1 + rng.nextInt(below: 3)
            let candidates: [(String, [Int], FuzzValidity)]
            switch base.layout {
            case .transformerLens:
                candidates = [("blocks.0.attn.W_X", [4, 64, 16], .invalid), ("blocks.\(beyond).attn.W_Q", [4, 64, 16], .invalid),
                              ("embed.W_E2", [50, 64], .invalid), ("fuzz.unknown", [3], .invalid),
                              ("blocks.0.attn.mask", [64, 64], .valid), ("blocks.1.attn.IGNORE", [], .valid)]
            case .huggingFaceGPT2:
                candidates = [("transformer.h.0.attn.bias", [1, 1, 64, 64], .valid),
                              ("transformer.h.\(beyond).mlp.c_fc.weight", [64, 256], .invalid),
                              ("h.\(beyond).ln_1.weight", [64], .invalid),
                              ("lm_head.weight", [50, 64], .valid), ("lm_head.weight", [64, 50], .invalid),
                              ("fuzz.unknown", [3], .unknown)]
            case .huggingFaceLlama:
                candidates = [("model.layers.0.self_attn.rotary_emb.inv_freq", [8], .valid),
                              ("model.layers.\(beyond).mlp.up_proj.weight", [128, 64], .invalid),
                              // Without `attention_bias` in the config the loader refuses a bias it would not use.
                              ("model.layers.0.self_attn.q_proj.bias", [64], .invalid),
                              ("model.layers.0.self_attn.q_proj.bias", [32], .invalid),
                              ("model.layers.0.self_attn.o_proj.bias", [65], .invalid),
                              ("fuzz.unknown", [3], .unknown)]
            }
            let (extra, extraShape, validity) = rng.pick(candidates)
            let count = extraShape.reduce(1, *)
            let begin = image.data.count
            image.data.append(Data(count: 4 * count))
            image.header[extra] = ["dtype": "F32", "shape": extraShape, "data_offsets": [begin, begin + 4 * count]]
            return done("tensor:extra", "an extra tensor \(extra) \(extraShape)",
                        isTransformerLens && extra.hasPrefix("blocks.") && (extra.hasSuffix(".mask") || extra.hasSuffix(".IGNORE")) ? .valid : validity)
        case 12:
            // The header or an entry of the wrong JSON type.
            if rng.chance(0.5) {
                let v = rng.pick(["[]", "\"header\"", "42", "null", "{}", "[{}]"])
                files[base.weightsName] = SafetensorsImage.assemble(header: Data(v.utf8), data: image.data)
                return Mutation(id: "header:not-object", detail: "the header is \(v)", validity: .invalid, files: files)
            }
            image.header[name] = rng.pick([42, "F32", [1, 2], NSNull(), [String: Any]()] as [Any])
            return done("entry:not-object", "\(name) is not an entry object", .invalid)
        default:
            // Whitespace padding: valid, only larger.
            var rendered = JSONText.render(image.header)
            let pad = rng.pick([7, 4096, 1 << 20])
            rendered.append(Data(repeating: 0x20, count: pad))
            files[base.weightsName] = SafetensorsImage.assemble(header: rendered, data: image.data)
            return Mutation(id: "header:padding", detail: "\(pad) spaces of header padding", validity: .valid, files: files)
        }
    }
}
