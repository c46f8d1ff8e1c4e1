import Foundation

/// A JSON value written verbatim where a mutated object is rendered: literals Foundation will
/// not write (1e300, 30-digit integers, `64.0`, deep nesting, invalid UTF-8).
struct RawJSON {
    let bytes: Data
    init(_ text: String) { bytes = Data(text.utf8) }
    init(bytes: Data) { self.bytes = bytes }
}

/// Renders mutated JSON objects deterministically (sorted keys: Swift's per-process hash seed
/// must not change a case's bytes), with ``RawJSON`` values spliced in verbatim.
enum JSONText {
    /// The JSON text of `object`; `RawJSON` values anywhere inside it appear verbatim.
    static func render(_ object: Any) -> Data {
        var raws: [Data] = []
        func substitute(_ value: Any) -> Any {
            switch value {
            case let raw as RawJSON:
                raws.append(raw.bytes)
                return "@@FUZZ-RAW-\(raws.count - 1)@@"
            case let dict as [String: Any]:
                return dict.mapValues(substitute)
            case let array as [Any]:
                return array.map(substitute)
            default:
                return value
            }
        }
        let prepared = substitute(object)
        var data = (try? JSONSerialization.data(withJSONObject: prepared, options: [.sortedKeys, .fragmentsAllowed])) ?? Data("null".utf8)
        for (i, raw) in raws.enumerated() {
            let marker = Data("\"@@FUZZ-RAW-\(i)@@\"".utf8)
            if let range = data.range(of: marker) { data.replaceSubrange(range, with: raw) }
        }
        return data
    }

    /// Parses a JSON object (fixture configs and headers are objects).
    static func object(_ data: Data) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    /// `depth` nested arrays around `inner`: `[[[…0…]]]`.
    static func nested(depth: Int, inner: String = "0") -> RawJSON {
        RawJSON(String(repeating: "[", count: depth) + inner + String(repeating: "]", count: depth))
    }
}
