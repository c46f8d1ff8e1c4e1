import Foundation
import LensCommandLine
import SwiftLens

/// `lens tokenize MODEL TEXT [--prepend-bos] [--json]`: the ids and pieces MODEL's own
/// tokenizer gives TEXT (a GGUF file's `tokenizer.ggml.*`, or a directory's `tokenizer.json`).
enum TokenizeCommand {
    static let options = OptionTable(command: "lens tokenize", arguments: [
        .required("MODEL", help: "a GGUF file, or a model directory with a tokenizer.json"),
        .required("TEXT", help: "the text to tokenize"),
    ], options: [
        .flag("--prepend-bos", help: "prepend BOS even if the tokenizer would not (default: the tokenizer's own policy)"),
        .flag("--json", help: "print {\"ids\": […], \"pieces\": […]} instead of a table"),
    ], summary: """
        prints the token ids and pieces MODEL's tokenizer gives TEXT, and the text they decode to.
        """)

    static func run(_ args: ParsedArguments) throws {
        let model = try ModelArgument.load(args.argument("MODEL"))
        let text = args.argument("TEXT")
        let ids = try model.toTokens(text, prependBOS: args.flag("--prepend-bos") ? true : nil).scalars
        let pieces = try model.toStrTokens(ids)
        if args.flag("--json") {
            let data = try JSONSerialization.data(withJSONObject: ["ids": ids, "pieces": pieces], options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("\(ids.count) tokens")
        for (id, piece) in zip(ids, pieces) { print(String(format: "%8d  ", id) + piece.debugDescription) }
        print("decodes to \(try model.toString(ids).debugDescription)")
    }
}
