// `import SwiftLens` gives the whole library: tensors, file formats and tokenizers are modules of
// their own (so each has one obvious place and declared dependencies) but re-exported here.
@_exported import LensTensor
@_exported import LensFormats
@_exported import LensTokenizers
