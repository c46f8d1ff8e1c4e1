import Foundation
import SwiftLens

/// Token inputs for a fixture model: out of range, negative, huge, floats, ragged, empty, 1-D,
/// too long, of the wrong rank, given directly or through a safetensors `tokens` entry, and
/// passed to one of the model's entry points (each validates on its own path).
enum TokenMutator {
    /// The vocabulary size and context length of `base`, from its config.
    static func limits(_ base: FuzzCorpus.Base) -> (vocabulary: Int, context: Int) {
        let document = JSONText.object(base.config)
        let cfg = document["cfg"] as? [String: Any] ?? document
        func int(_ keys: String...) -> Int { keys.lazy.compactMap { (cfg[$0] as? NSNumber)?.intValue }.first ?? 1 }
        return (int("d_vocab", "vocab_size"), int("n_ctx", "n_positions", "max_position_embeddings"))
    }

    static func mutate(_ base: FuzzCorpus.Base, _ rng: inout RandomGenerator) -> (id: String, detail: String, validity: FuzzValidity, source: FuzzInput.TokenSource, call: FuzzInput.TokenCall) {
        let (vocabulary, context) = limits(base)
        let call = rng.pick(FuzzInput.TokenCall.allCases)
        func random(_ count: Int) -> [Int] { (0..<count).map { _ in rng.nextInt(below: vocabulary) } }
        let batch = rng.int(in: 1...3), length = rng.int(in: 1...min(8, context))
        // The loss reads all but the last token: it needs two, and accepts n_ctx + 1.
        func lengthValidity(_ p: Int) -> FuzzValidity {
            if call == .loss { return p >= 2 && p <= context + 1 ? .valid : .invalid }
            // run returns the per-token loss too, which needs two positions.
            if call == .run { return p >= 2 && p <= context ? .valid : .invalid }
            return p >= 1 && p <= context ? .valid : .invalid
        }
        func tensor(_ id: String, _ detail: String, _ shape: [Int], _ values: [Int], _ validity: FuzzValidity)
            -> (String, String, FuzzValidity, FuzzInput.TokenSource, FuzzInput.TokenCall) {
            (id, "\(call.rawValue): \(detail), shape \(shape)", validity, .tensor(IntTensor(shape: shape, values: values)), call)
        }

        switch rng.nextInt(below: 12) {
        case 0:
            return tensor("tensor:valid", "random ids", [batch, length], random(batch * length), lengthValidity(length))
        case 1:
            return tensor("tensor:1-d", "one sequence", [length], random(length), lengthValidity(length))
        case 2, 3:
            var values = random(batch * length)
            let bad = rng.pick([vocabulary, vocabulary + 1, vocabulary * 1000, -1, -vocabulary, Int.min, Int.max, 1 << 40, Int(Int32.max) + 1])
            let at = rng.nextInt(below: values.count)
            values[at] = bad
            let op = bad < 0 ? "negative" : bad > 1 << 31 ? "huge" : "out-of-range"
            // The loss's last position is only a target, but it must still be a token.
            return tensor("tensor:\(op)", "id \(bad) at element \(at)", [batch, length], values,
                          call == .loss && length < 2 ? .invalid : .invalid)
        case 4:
            let shape = rng.pick([[0], [0, length], [batch, 0], [0, 0], [0, 0, 0]])
            return tensor("tensor:empty", "no tokens", shape, [], .invalid)
        case 5:
            return tensor("tensor:scalar", "a rank-0 token", [], random(1), .invalid)
        case 6:
            let shape = rng.pick([[1, batch, length], [batch, length, 1], [1, 1, 1, length]])
            return tensor("tensor:rank", "rank \(shape.count)", shape, random(shape.reduce(1, *)), .invalid)
        case 7:
            let p = context + rng.pick([0, 1, 2, 50])
            return tensor("tensor:length", "\(p) positions (n_ctx \(context))", [1, p], random(p), lengthValidity(p))
        default:
            return file(vocabulary: vocabulary, context: context, call: call, batch: batch, length: length, &rng,
                        lengthValidity: lengthValidity)
        }
    }

    /// A safetensors file holding `tokens` in some dtype and shape.
    static func file(vocabulary: Int, context: Int, call: FuzzInput.TokenCall, batch: Int, length: Int, _ rng: inout RandomGenerator,
                     lengthValidity: (Int) -> FuzzValidity)
        -> (String, String, FuzzValidity, FuzzInput.TokenSource, FuzzInput.TokenCall) {
        var shape = [batch, length]
        var values = (0..<(batch * length)).map { _ in Double(rng.nextInt(below: vocabulary)) }
        var dtype = rng.pick(SafetensorsDType.allCases)
        var op = dtype.isFloatingPoint ? "floats" : "integers"
        var validity: FuzzValidity = dtype.isFloatingPoint ? .invalid : lengthValidity(length)
        var elementCount: Int? = nil
        var name = "tokens"
        switch rng.nextInt(below: 6) {
        case 0:
            // Ragged: the byte range holds fewer or more elements than the shape.
            elementCount = values.count + rng.pick([-1, 1, 3])
            if elementCount! < 0 { elementCount = 1 }
            op = "ragged"
            validity = .invalid
        case 1:
            if !dtype.isFloatingPoint, dtype != .BOOL {
                values[rng.nextInt(below: values.count)] = rng.pick([-1, Double(vocabulary), 1e18, -1e18, 255, 127])
                op = "bad-id"
                validity = .invalid
                dtype = rng.pick([.I64, .I32])
            }
        case 2:
            shape = rng.pick([[length], [1, batch, length], [0], [batch, 0]])
            values = Array(values.prefix(shape.reduce(1, *)))
            op = "shape-\(shape.count)d"
            validity = dtype.isFloatingPoint || shape.count > 2 || shape.contains(0) ? .invalid : lengthValidity(shape.last!)
        case 3:
            name = "input_ids"
            op = "no-tokens-entry"
            validity = .invalid
        default:
            break
        }
        if dtype == .BOOL {
            values = values.map { $0 == 0 ? 0 : 1 }
            if validity == .valid, vocabulary < 2 { validity = .invalid }
        }
        if (dtype == .U8 || dtype == .I8) && values.contains(where: { $0 > 127 || $0 < 0 }) { values = values.map { min(max($0, 0), 127) } }
        let count = elementCount ?? values.count
        var bytes = Data()
        for i in 0..<count {
            let v = i < values.count ? values[i] : 1
            switch dtype {
            case .F64: withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
            case .F32: withUnsafeBytes(of: Float(v).bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
            case .F16, .BF16:
                let bits = Float(v).bitPattern
                let half: UInt16 = dtype == .BF16 ? UInt16(bits >> 16) : Self.half(Float(v))
                withUnsafeBytes(of: half.littleEndian) { bytes.append(contentsOf: $0) }
            case .I64: withUnsafeBytes(of: Int64(v).littleEndian) { bytes.append(contentsOf: $0) }
            case .I32: withUnsafeBytes(of: Int32(clamping: Int64(v)).littleEndian) { bytes.append(contentsOf: $0) }
            case .I16: withUnsafeBytes(of: Int16(clamping: Int64(v)).littleEndian) { bytes.append(contentsOf: $0) }
            case .I8: bytes.append(UInt8(bitPattern: Int8(clamping: Int64(v))))
            case .U8, .BOOL: bytes.append(UInt8(clamping: Int64(v)))
            }
        }
        let header: [String: Any] = [name: ["dtype": dtype.rawValue, "shape": shape, "data_offsets": [0, bytes.count]]]
        let data = SafetensorsImage.assemble(header: JSONText.render(header), data: bytes)
        return ("file:\(op)", "\(call.rawValue): a tokens file, \(dtype.rawValue) \(shape)\(elementCount.map { " holding \($0) elements" } ?? "")",
                validity, .safetensors(data), call)
    }

    /// IEEE half precision of a small integer-valued float (token ids are below 2048 here).
    static func half(_ x: Float) -> UInt16 {
        if x == 0 { return 0 }
        let sign: UInt16 = x < 0 ? 0x8000 : 0
        let a = abs(x)
        let e = Int(a.exponent)
        guard e < 16 else { return sign | 0x7C00 }
        let mantissa = UInt16((a.significand - 1) * 1024)
        return sign | UInt16(e + 15) << 10 | mantissa
    }
}
