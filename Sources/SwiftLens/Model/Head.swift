import Foundation

/// One attention head: a layer and a head index within it, printed and parsed as
/// TransformerLens's labels write it (`L1H2`). Also parses `1.2` (the command line's form).
///
/// ```swift
/// let head = Head(layer: 1, head: 2)
/// print(head)                      // L1H2
/// Head("L1H2") == head             // true
/// model.heads                      // every head, layer by layer
/// ```
public struct Head: Hashable, Comparable, Sendable, Codable, LosslessStringConvertible {
    public var layer: Int
    public var head: Int

    public init(layer: Int, head: Int) {
        self.layer = layer
        self.head = head
    }

    /// `L1H2` or `1.2`; nil for anything else (negative numbers included).
    public init?(_ description: String) {
        let text = description.trimmingCharacters(in: .whitespaces)
        let parts: [Substring]
        if text.first == "L" || text.first == "l", let h = text.firstIndex(where: { $0 == "H" || $0 == "h" }) {
            parts = [text[text.index(after: text.startIndex)..<h], text[text.index(after: h)...]]
        } else {
            parts = text.split(separator: ".", omittingEmptySubsequences: false)
        }
        guard parts.count == 2, let layer = Int(parts[0]), let head = Int(parts[1]), layer >= 0, head >= 0,
              parts.allSatisfy({ $0.allSatisfy(\.isNumber) }) else { return nil }
        self.init(layer: layer, head: head)
    }

    /// `L1H2`.
    public var description: String { "L\(layer)H\(head)" }

    public static func < (a: Head, b: Head) -> Bool { (a.layer, a.head) < (b.layer, b.head) }

    /// Every head of `layers` layers of `heads` heads, layer by layer.
    public static func all(layers: Int, heads: Int) -> [Head] {
        (0..<layers).flatMap { l in (0..<heads).map { Head(layer: l, head: $0) } }
    }
}
