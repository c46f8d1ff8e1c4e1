import Foundation

/// A natural-text induction prompt about a made-up person: a first mention with a surname, some
/// text, and a second mention that stops where the surname would come again —
/// "Dr. Elara Voss … Dr. Elara" → " Voss". The second mention may be written differently from
/// the first ("Dr Elara", "Elara", "DR. ELARA"): the fuzzy case of the same test.
///
/// `text` holds the placeholder `{surname}` once, where the first mention's surname goes. The
/// clean prompt puts `surname` there and the corrupted prompt `otherSurname`; a model that copies
/// from the first mention should continue each with the first token of its own surname.
///
/// ```swift
/// let prompt = try FuzzyNamePrompt(text: "Dr. Elara{surname} studied the stars. Years later the crater was named after Dr. Elara",
///                                  surname: " Voss", otherSurname: " Quill")
/// ```
public struct FuzzyNamePrompt: Sendable, Hashable, Codable {
    public static let placeholder = "{surname}"
    public let text: String
    public let surname: String
    public let otherSurname: String

    /// - Throws: ``AnalysisError/invalidArgument(_:)`` unless `text` holds `{surname}` exactly
    ///   once and not at its end, and the two surnames differ.
    public init(text: String, surname: String, otherSurname: String) throws {
        let parts = text.components(separatedBy: Self.placeholder)
        guard parts.count == 2 else {
            throw AnalysisError.invalidArgument("a name prompt needs \(Self.placeholder) exactly once in its text; found it \(parts.count - 1) times in “\(text)”")
        }
        guard !parts[1].isEmpty else {
            throw AnalysisError.invalidArgument("a name prompt must continue after \(Self.placeholder) (the second mention comes after it): “\(text)”")
        }
        guard surname != otherSurname, !surname.isEmpty, !otherSurname.isEmpty else {
            throw AnalysisError.invalidArgument("a name prompt needs two different, non-empty surnames; found “\(surname)” and “\(otherSurname)”")
        }
        self.text = text
        self.surname = surname
        self.otherSurname = otherSurname
    }

    /// The text with `surname`.
    public var clean: String { text.replacingOccurrences(of: Self.placeholder, with: surname) }
    /// The text with `otherSurname`.
    public var corrupted: String { text.replacingOccurrences(of: Self.placeholder, with: otherSurname) }
}
