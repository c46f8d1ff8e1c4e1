// swift-tools-version: 6.2
// 6.2 (not 5.x) so that a package whose targets carry `unsafeFlags` can still be used as a
// version-pinned dependency by other packages.
import PackageDescription

// MARK: - Compiler settings

/// The numeric targets are compiled optimised in every configuration, so a plain debug
/// `swift test` runs the kernels at full speed (a debug-mode SIMD GEMM is ~350x slower).
/// On x86_64 `-target-cpu haswell` enables AVX2+FMA: without it `addingProduct` becomes one libm
/// `fmaf` call per lane (0.6 instead of ~80 GFLOP/s). arm64 has FMA in its baseline and rejects
/// the CPU name, so it only gets `-O`.
#if arch(x86_64)
let optimisedNumerics: [SwiftSetting] = [.unsafeFlags(["-O", "-target-cpu", "haswell"])]
#else
let optimisedNumerics: [SwiftSetting] = [.unsafeFlags(["-O"])]
#endif

let package = Package(
    name: "SwiftLens",
    // macOS 15: `Synchronization.Atomic`, used by the kernel worker pool.
    platforms: [.macOS(.v15)],
    products: [
        // MARK: - Products
        .library(name: "SwiftLens", targets: ["SwiftLens"]),
        .executable(name: "lens", targets: ["lens"]),
        /// Offline HTML/SVG figures; a product of its own (not part of `SwiftLens`) because it
        /// depends on nothing and is useful without the model code.
        .library(name: "LensViz", targets: ["LensViz"]),
    ],
    targets: [
        // MARK: - Numerics
        /// `@inlinable` SIMD8 math (exp, tanh, erf, loads, horizontal reductions). A module of its
        /// own because debug builds do not inline across files of one module, but do inline
        /// `@inlinable` code across modules: this keeps every kernel file at full speed.
        .target(name: "LensSIMD", swiftSettings: optimisedNumerics),
        /// Raw-pointer Float kernels, forward and backward side by side.
        .target(name: "LensKernels", dependencies: ["LensSIMD"], swiftSettings: optimisedNumerics),
        /// The `Tensor` value type, its ops and the reverse-mode gradient tape.
        .target(name: "LensTensor", dependencies: ["LensKernels"], swiftSettings: optimisedNumerics),

        // MARK: - Library
        /// File formats (safetensors, GGUF with dequantisation): validated headers, tensors read one at a time.
        .target(name: "LensFormats", dependencies: ["LensTensor", "LensKernels"], exclude: ["README.md"], swiftSettings: optimisedNumerics),
        /// Text ↔ token ids (character, whitespace, byte-level BPE with tiktoken and Hugging Face
        /// parity). No dependencies. Optimised in every configuration like the numerics: the
        /// tokenizer tests round-trip megabytes of text, which a debug build does ~30x slower.
        .target(name: "LensTokenizers", exclude: ["README.md"], swiftSettings: optimisedNumerics),
        /// The model library; re-exports LensTensor, LensFormats and LensTokenizers.
        /// `Recipes/Induction/README.md` documents the induction recipe next to its code.
        .target(name: "SwiftLens", dependencies: ["LensTensor", "LensKernels", "LensFormats", "LensTokenizers"],
                exclude: ["Recipes/Induction/README.md"]),
        /// Self-contained SVG and HTML figures (heatmaps, attention patterns, line charts, …)
        /// from plain arrays. No dependencies, not even on LensTensor.
        .target(name: "LensViz"),
        /// Seeded mutation fuzzing of every reader (safetensors, TransformerLens and Hugging Face
        /// configs, token inputs): mutators, an in-process runner and a child-process supervisor,
        /// shared by the CI test (FuzzTests) and `lens fuzz`.
        .target(name: "LensFuzz", dependencies: ["SwiftLens"]),

        // MARK: - Command line
        /// One declarative table of options per command (name, kind, help, default) that writes the
        /// help text and rejects unknown or malformed options; shared by `lens` and the examples.
        .target(name: "LensCommandLine", dependencies: ["SwiftLens"]),
        .executableTarget(name: "lens", dependencies: ["SwiftLens", "LensKernels", "LensViz", "LensCommandLine", "LensFuzz"]),

        // MARK: - Examples
        .executableTarget(name: "TensorTour", dependencies: ["SwiftLens"], path: "Examples/TensorTour"),
        .executableTarget(name: "VizGallery", dependencies: ["LensViz"], path: "Examples/VizGallery"),
        /// What the examples share: argument parsing, the package root, a top level that exits 1 on errors.
        .target(name: "ExampleSupport", dependencies: ["SwiftLens", "LensCommandLine"], path: "Examples/Support"),
        .executableTarget(name: "ZeroAblateHead", dependencies: ["ExampleSupport"], path: "Examples/ZeroAblateHead"),
        .executableTarget(name: "ActivationPatchingExperiment", dependencies: ["ExampleSupport"], path: "Examples/ActivationPatchingExperiment"),
        .executableTarget(name: "HuggingFaceCache", dependencies: ["ExampleSupport"], path: "Examples/HuggingFaceCache"),
        .executableTarget(name: "CustomHook", dependencies: ["ExampleSupport"], path: "Examples/CustomHook"),
        /// Needs the real SmolLM2-135M-Instruct GGUF (Scripts/fetch_smollm2.sh).
        .executableTarget(name: "SteeringVector", dependencies: ["ExampleSupport"], path: "Examples/SteeringVector"),

        // MARK: - Tutorials
        /// What every tutorial shares: narrative printing, checks, figures, the committed trained model.
        .target(name: "TutorialSupport", dependencies: ["SwiftLens", "LensViz"], path: "Tutorials/Support"),
        .executableTarget(name: "Tutorial01", dependencies: ["TutorialSupport"], path: "Tutorials/01-model-hooks-cache"),
        .executableTarget(name: "Tutorial02", dependencies: ["TutorialSupport"], path: "Tutorials/02-training-phase-change"),
        .executableTarget(name: "Tutorial03", dependencies: ["TutorialSupport"], path: "Tutorials/03-attention-patterns"),
        .executableTarget(name: "Tutorial04", dependencies: ["TutorialSupport"], path: "Tutorials/04-head-detection"),
        .executableTarget(name: "Tutorial05", dependencies: ["TutorialSupport"], path: "Tutorials/05-circuits"),
        .executableTarget(name: "Tutorial06", dependencies: ["TutorialSupport"], path: "Tutorials/06-ablation-knockout"),
        .executableTarget(name: "Tutorial07", dependencies: ["TutorialSupport"], path: "Tutorials/07-patching"),
        .executableTarget(name: "Tutorial08", dependencies: ["TutorialSupport"], path: "Tutorials/08-smeared-keys"),
        .executableTarget(name: "Tutorial09", dependencies: ["TutorialSupport"], path: "Tutorials/09-loss-pca"),
        .executableTarget(name: "Tutorial10", dependencies: ["TutorialSupport"], path: "Tutorials/10-logit-lens"),
        /// Needs the real SmolLM2-135M-Instruct GGUF (Scripts/fetch_smollm2.sh).
        .executableTarget(name: "Tutorial11", dependencies: ["TutorialSupport"], path: "Tutorials/11-steering-generation"),
        /// Needs SmolLM2-135M-Instruct (Scripts/fetch_smollm2.sh).
        .executableTarget(name: "Tutorial12", dependencies: ["TutorialSupport"], path: "Tutorials/12-real-model-census"),
        /// Needs SmolLM2-135M-Instruct and the ICL corpus (Scripts/fetch_smollm2.sh, Scripts/fetch_icl_corpus.sh).
        .executableTarget(name: "Tutorial13", dependencies: ["TutorialSupport"], path: "Tutorials/13-real-model-ablation-icl"),
        /// Needs the real SmolLM2-135M-Instruct GGUF (Scripts/fetch_smollm2.sh).
        .executableTarget(name: "Tutorial14", dependencies: ["TutorialSupport"], path: "Tutorials/14-fuzzy-induction"),
        .executableTarget(name: "Tutorial15", dependencies: ["TutorialSupport"], path: "Tutorials/15-copy-suppression-function-vectors"),
        /// Needs SmolLM2-135M-Instruct and the ICL corpus (Scripts/fetch_smollm2.sh, Scripts/fetch_icl_corpus.sh).
        .executableTarget(name: "Tutorial16", dependencies: ["TutorialSupport"], path: "Tutorials/16-side-by-side"),

        // MARK: - Tests
        .testTarget(name: "LensKernelsTests", dependencies: ["LensKernels"]),
        .testTarget(name: "LensTensorTests", dependencies: ["LensTensor"]),
        /// GGUF reading and dequantisation against the gguf-py references in Tests/Fixtures/gguf.
        .testTarget(name: "LensFormatsTests", dependencies: ["LensFormats", "LensKernels"]),
        .testTarget(name: "SwiftLensTests", dependencies: ["SwiftLens", "LensCommandLine", "LensFuzz"]),
        .testTarget(name: "LensVizTests", dependencies: ["LensViz"]),
        /// Byte-level BPE parity with tiktoken (GPT-2, committed vocabulary) and Hugging Face
        /// `tokenizers` (SmolLM2, when its vocabulary has been fetched; a small committed one otherwise).
        .testTarget(name: "LensTokenizersTests", dependencies: ["LensTokenizers"]),
        /// The patching experiment of Examples/PatchingExperimentTest, a test to copy.
        .testTarget(name: "PatchingExampleTests", dependencies: ["SwiftLens"], path: "Examples/PatchingExperimentTest"),
    ]
)
