/// The ready-made word tasks, written here (checked by hand for how SmolLM2-135M tokenises
/// them; `ICLTaskTests` checks it). The `try!` cannot fail: every list has ≥ 2 non-empty
/// pairs without newlines.
extension ICLTask {
    /// Antonyms: every output is one token after a space in SmolLM2's tokenizer.
    public static let antonyms = try! ICLTask(name: "antonyms", pairs: [
        .init("hot", "cold"), .init("big", "small"), .init("up", "down"), .init("fast", "slow"), .init("happy", "sad"),
        .init("good", "bad"), .init("high", "low"), .init("early", "late"), .init("rich", "poor"), .init("hard", "soft"),
        .init("long", "short"), .init("wet", "dry"), .init("full", "empty"), .init("strong", "weak"),
        .init("thick", "thin"), .init("loud", "quiet"), .init("black", "white"), .init("yes", "no"), .init("day", "night"),
        .init("true", "false"), .init("first", "last"), .init("top", "bottom"), .init("love", "hate"),
        .init("push", "pull"), .init("north", "south"), .init("east", "west"), .init("before", "after"),
        .init("always", "never"), .init("clean", "dirty"), .init("cheap", "expensive"), .init("old", "young"),
        .init("win", "lose"), .init("open", "closed"), .init("inside", "outside"), .init("buy", "sell"),
        .init("heavy", "light"), .init("left", "right"), .init("more", "less"), .init("war", "peace"),
        .init("dark", "light"),
    ])

    /// Country → capital; seven capitals take two or three tokens (Bangkok, Ankara, Hanoi,
    /// Jakarta, Buenos Aires, Mexico City, New Delhi): the first is scored.
    public static let countryCapitals = try! ICLTask(name: "countryCapitals", pairs: [
        .init("France", "Paris"), .init("Germany", "Berlin"), .init("Italy", "Rome"), .init("Spain", "Madrid"),
        .init("Japan", "Tokyo"), .init("China", "Beijing"), .init("Russia", "Moscow"), .init("Egypt", "Cairo"),
        .init("Greece", "Athens"), .init("Canada", "Ottawa"), .init("Portugal", "Lisbon"), .init("Poland", "Warsaw"),
        .init("Austria", "Vienna"), .init("Ireland", "Dublin"), .init("Norway", "Oslo"), .init("Sweden", "Stockholm"),
        .init("Finland", "Helsinki"), .init("Denmark", "Copenhagen"), .init("Kenya", "Nairobi"), .init("Peru", "Lima"),
        .init("Cuba", "Havana"), .init("Thailand", "Bangkok"), .init("England", "London"), .init("Turkey", "Ankara"),
        .init("Hungary", "Budapest"), .init("Belgium", "Brussels"), .init("Iran", "Tehran"), .init("Australia", "Canberra"),
        .init("South Korea", "Seoul"), .init("Vietnam", "Hanoi"), .init("Indonesia", "Jakarta"),
        .init("Philippines", "Manila"), .init("Chile", "Santiago"), .init("Argentina", "Buenos Aires"),
        .init("Mexico", "Mexico City"), .init("India", "New Delhi"),
    ])

    /// Lowercase → uppercase; most uppercase words take 2–3 tokens (« HO» «USE»), the first is
    /// scored.
    public static let uppercase = try! ICLTask(name: "uppercase", pairs: [
        .init("cat", "CAT"), .init("dog", "DOG"), .init("house", "HOUSE"), .init("tree", "TREE"), .init("water", "WATER"),
        .init("book", "BOOK"), .init("apple", "APPLE"), .init("table", "TABLE"), .init("green", "GREEN"),
        .init("music", "MUSIC"), .init("river", "RIVER"), .init("chair", "CHAIR"), .init("paper", "PAPER"),
        .init("money", "MONEY"), .init("light", "LIGHT"), .init("school", "SCHOOL"), .init("city", "CITY"),
        .init("night", "NIGHT"), .init("horse", "HORSE"), .init("phone", "PHONE"), .init("bread", "BREAD"),
        .init("garden", "GARDEN"), .init("window", "WINDOW"), .init("story", "STORY"), .init("friend", "FRIEND"),
        .init("family", "FAMILY"), .init("world", "WORLD"), .init("summer", "SUMMER"), .init("animal", "ANIMAL"),
        .init("doctor", "DOCTOR"),
    ])

    /// Irregular verb → past tense; every output is one token.
    public static let pastTense = try! ICLTask(name: "pastTense", pairs: [
        .init("go", "went"), .init("see", "saw"), .init("eat", "ate"), .init("run", "ran"), .init("take", "took"),
        .init("give", "gave"), .init("write", "wrote"), .init("speak", "spoke"), .init("drink", "drank"),
        .init("sing", "sang"), .init("swim", "swam"), .init("begin", "began"), .init("know", "knew"), .init("fly", "flew"),
        .init("drive", "drove"), .init("ride", "rode"), .init("break", "broke"), .init("choose", "chose"),
        .init("forget", "forgot"), .init("find", "found"), .init("think", "thought"), .init("buy", "bought"),
        .init("teach", "taught"), .init("catch", "caught"), .init("sleep", "slept"), .init("feel", "felt"),
        .init("keep", "kept"), .init("leave", "left"), .init("meet", "met"), .init("sit", "sat"),
    ])

    /// Singular → plural, regular and irregular; every output is one token.
    public static let plural = try! ICLTask(name: "plural", pairs: [
        .init("child", "children"), .init("mouse", "mice"), .init("foot", "feet"), .init("tooth", "teeth"),
        .init("man", "men"), .init("woman", "women"), .init("goose", "geese"), .init("cat", "cats"), .init("box", "boxes"),
        .init("city", "cities"), .init("baby", "babies"), .init("knife", "knives"), .init("leaf", "leaves"),
        .init("wolf", "wolves"), .init("bus", "buses"), .init("dog", "dogs"), .init("house", "houses"),
        .init("church", "churches"), .init("party", "parties"), .init("person", "people"),
    ])

    /// English → French number words; most French words take 2–3 tokens (« de» «ux»), the first
    /// is scored. SmolLM2-135M cannot do it (0.12 with 10 shots in Tutorial 15).
    public static let frenchNumbers = try! ICLTask(name: "frenchNumbers", pairs: [
        .init("one", "un"), .init("two", "deux"), .init("three", "trois"), .init("four", "quatre"), .init("five", "cinq"),
        .init("seven", "sept"), .init("eight", "huit"), .init("nine", "neuf"), .init("ten", "dix"), .init("eleven", "onze"),
        .init("twelve", "douze"), .init("thirteen", "treize"), .init("fourteen", "quatorze"), .init("fifteen", "quinze"),
        .init("sixteen", "seize"), .init("twenty", "vingt"), .init("thirty", "trente"), .init("forty", "quarante"),
        .init("fifty", "cinquante"), .init("sixty", "soixante"), .init("hundred", "cent"), .init("thousand", "mille"),
    ])
    /// Every ready-made task, in the order above.
    public static let examples: [ICLTask] = [antonyms, countryCapitals, uppercase, pastTense, plural, frenchNumbers]
}
