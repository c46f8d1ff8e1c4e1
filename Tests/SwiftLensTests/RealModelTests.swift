import Foundation
import SwiftLens
import Testing

/// Tests on the real SmolLM2-135M-Instruct GGUF (see ``RealModel``): skipped locally when the
/// file has not been fetched, failing in CI.
@Suite(.enabled(if: RealModel.isAvailable, "needs SmolLM2-135M-Instruct: bash Scripts/fetch_smollm2.sh"))
struct RealModelTests {
    /// The file is the published one, byte for byte: every later real-model test can trust it.
    @Test func smolLM2FileHasThePublishedSizeAndHash() throws {
        let url = try RealModel.smolLM2()
        let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber
        #expect(size?.intValue == RealModel.smolLM2Bytes, "\(url.path) size")
        #expect(try SHA256.hexDigest(ofFileAt: url) == RealModel.smolLM2SHA256, "\(url.path) sha256")
    }
}
