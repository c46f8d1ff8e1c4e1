import Foundation

/// A safetensors file taken apart for mutation: its parsed JSON header and its data section.
struct SafetensorsImage {
    var header: [String: Any]
    var data: Data

    init(_ file: Data) {
        let length = file.prefix(8).enumerated().reduce(0) { $0 | (Int($1.element) << (8 * $1.offset)) }
        header = JSONText.object(file.subdata(in: 8..<(8 + length)))
        data = file.subdata(in: (8 + length)..<file.count)
    }

    /// Tensor names (not `__metadata__`), sorted.
    var names: [String] { header.keys.filter { $0 != "__metadata__" }.sorted() }

    func entry(_ name: String) -> [String: Any] { header[name] as? [String: Any] ?? [:] }
    func shape(_ name: String) -> [Int] { (entry(name)["shape"] as? [Any])?.compactMap { ($0 as? NSNumber)?.intValue } ?? [] }
    func offsets(_ name: String) -> [Int] { (entry(name)["data_offsets"] as? [Any])?.compactMap { ($0 as? NSNumber)?.intValue } ?? [] }

    /// The entry whose data starts right before `name`'s, if any.
    func previous(_ name: String) -> String? {
        let begin = offsets(name).first ?? 0
        return names.filter { (offsets($0).first ?? 0) < begin }.max { (offsets($0).first ?? 0) < (offsets($1).first ?? 0) }
    }

    /// Whether the entries' data ranges tile the data section exactly (no gaps, no slack): then
    /// shifting any range by a byte is certain to overlap a neighbour or run past the end.
    var isPacked: Bool {
        let ranges = names.map { offsets($0) }.filter { $0.count == 2 }.sorted { $0[0] < $1[0] }
        var at = 0
        for r in ranges {
            guard r[0] == at else { return false }
            at = r[1]
        }
        return at == data.count
    }

    /// The file: an 8-byte little-endian length, the header text padded with spaces to a
    /// multiple of 8 (as writers do), and the data section.
    static func assemble(header: Data, data: Data, declaredLength: UInt64? = nil) -> Data {
        var text = header
        text.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - text.count % 8) % 8))
        var length = (declaredLength ?? UInt64(text.count)).littleEndian
        var file = Data(bytes: &length, count: 8)
        file.append(text)
        file.append(data)
        return file
    }

    /// The file with the header rendered from `header` (``RawJSON`` values spliced in).
    func assembled() -> Data { Self.assemble(header: JSONText.render(header), data: data) }
}
