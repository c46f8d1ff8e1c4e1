/// How the second copy of a fuzzy-induction sequence changes each word of the first copy
/// (Olsson et al. 2022, "In-context Learning and Induction Heads", Argument 4: induction heads
/// in large models also match *fuzzy* prefixes — a token that is similar, not equal, to the
/// earlier one). Each kind comes with a built-in list of common English words as (original,
/// variant) texts; ``FuzzyWordPair/pairs(_:kind:)`` keeps those whose two texts are each one
/// token of a model's tokenizer.
///
/// The originals are written with a leading space, as words inside running text are
/// tokenised by byte-level BPE tokenizers (GPT-2's, SmolLM2's): " house".
public enum FuzzyVariantKind: String, CaseIterable, Sendable, Codable {
    /// " house" → " House".
    case capitalised
    /// " house" → "house": the same word without its leading space (the form a word takes
    /// after an opening quote or bracket, or at the start of a text).
    case leadingSpace = "leading space"
    /// " house" → " houses".
    case plural
    /// " big" → " large": a different word with (nearly) the same meaning.
    case synonym

    /// The candidate (original, variant) texts of this kind, before the single-token check.
    public var candidates: [(original: String, variant: String)] {
        switch self {
        case .capitalised:
            return Self.nouns.map { (" " + $0, " " + $0.prefix(1).uppercased() + $0.dropFirst()) }
                + Self.otherWords.map { (" " + $0, " " + $0.prefix(1).uppercased() + $0.dropFirst()) }
        case .leadingSpace:
            return (Self.nouns + Self.otherWords).map { (" " + $0, $0) }
        case .plural:
            return Self.nouns.map { (" " + $0, " " + Self.plural(of: $0)) }
        case .synonym:
            return Self.synonyms.map { (" " + $0.0, " " + $0.1) }
        }
    }

    /// English plural of the nouns below (regular, plus the -s/-x/-ch/-sh and consonant + y rules).
    static func plural(of noun: String) -> String {
        if let irregular = irregularPlurals[noun] { return irregular }
        if noun.hasSuffix("s") || noun.hasSuffix("x") || noun.hasSuffix("ch") || noun.hasSuffix("sh") { return noun + "es" }
        if noun.hasSuffix("y"), let before = noun.dropLast().last, !"aeiou".contains(before) { return noun.dropLast() + "ies" }
        return noun + "s"
    }

    static let irregularPlurals = ["man": "men", "woman": "women", "child": "children", "foot": "feet", "tooth": "teeth",
                                   "mouse": "mice", "person": "people", "knife": "knives", "leaf": "leaves", "wife": "wives"]

    /// Common concrete and abstract nouns.
    static let nouns = [
        "house", "car", "tree", "book", "friend", "day", "year", "river", "city", "road", "door", "window", "table", "chair",
        "bird", "horse", "ship", "king", "game", "song", "star", "hand", "eye", "girl", "boy", "room", "school", "street",
        "plan", "idea", "price", "island", "garden", "farm", "bank", "letter", "paper", "apple", "egg", "teacher", "student",
        "doctor", "hill", "lake", "wall", "bridge", "church", "village", "market", "field", "ring", "shoe", "hat", "coat",
        "bed", "bag", "box", "cup", "key", "phone", "computer", "engine", "player", "team", "club", "animal", "flower",
        "plant", "rock", "stone", "wave", "cloud", "storm", "dog", "cat", "man", "woman", "child", "baby", "story", "party",
        "country", "family", "night", "week", "month", "hour", "minute", "job", "office", "model", "camera",
        "picture", "boat", "train", "truck", "bike", "ball", "dream", "voice", "word", "name", "number", "line",
        "page", "question", "answer", "problem", "class", "dish", "match", "watch", "brush", "fox", "tax", "leaf", "knife",
    ]

    /// Adjectives and verbs (for the kinds that are not about number).
    static let otherWords = [
        "big", "small", "red", "green", "blue", "black", "white", "old", "new", "good", "bad", "happy", "sad", "fast", "slow",
        "hot", "cold", "dark", "bright", "strong", "simple", "easy", "hard", "open", "close", "run", "walk", "eat", "drink",
        "sleep", "write", "read", "sing", "play", "build", "break", "buy", "sell", "give", "take", "make", "find", "keep",
        "think", "know", "love", "live", "move", "turn", "start", "stop", "help", "watch", "learn", "teach", "speak",
    ]

    /// Pairs of near-synonyms. A word may sit in two pairs; a sampled sequence never uses a token twice.
    static let synonyms: [(String, String)] = [
        ("big", "large"), ("small", "little"), ("fast", "quick"), ("begin", "start"), ("end", "finish"), ("happy", "glad"),
        ("buy", "purchase"), ("help", "assist"), ("show", "display"), ("choose", "select"), ("car", "automobile"),
        ("child", "kid"), ("house", "home"), ("shop", "store"), ("answer", "reply"), ("hard", "difficult"), ("easy", "simple"),
        ("smart", "clever"), ("rich", "wealthy"), ("angry", "mad"), ("quiet", "silent"), ("near", "close"), ("stone", "rock"),
        ("gift", "present"), ("job", "work"), ("talk", "speak"), ("sick", "ill"), ("error", "mistake"), ("fix", "repair"),
        ("hide", "conceal"), ("wet", "damp"), ("huge", "enormous"), ("strange", "odd"), ("maybe", "perhaps"),
        ("often", "frequently"), ("trip", "journey"), ("rule", "law"), ("boat", "ship"), ("woman", "lady"), ("man", "guy"),
        ("road", "street"), ("rabbit", "bunny"), ("dog", "puppy"), ("cat", "kitten"), ("sofa", "couch"), ("student", "pupil"),
        ("doctor", "physician"), ("film", "movie"), ("town", "city"), ("hat", "cap"), ("jump", "leap"), ("shout", "yell"),
        ("fall", "autumn"), ("story", "tale"), ("sad", "unhappy"), ("scared", "afraid"), ("correct", "right"), ("tiny", "minute"),
        ("pretty", "beautiful"), ("idea", "notion"), ("center", "middle"), ("ocean", "sea"), ("forest", "woods"), ("fast", "rapid"),
        ("stop", "halt"), ("look", "glance"), ("cry", "weep"), ("ask", "inquire"), ("exit", "leave"), ("money", "cash"),
        ("quick", "swift"), ("grab", "seize"), ("cold", "chilly"), ("hot", "warm"), ("loud", "noisy"), ("thin", "slim"),
        ("fat", "plump"), ("street", "avenue"), ("brave", "bold"), ("calm", "peaceful"), ("dirty", "filthy"), ("wise", "sage"),
    ]
}
