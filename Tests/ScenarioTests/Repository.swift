import Foundation

/// Paths in the repository, found from this file's location so tests run from any working directory.
enum Repository {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var scenarios: String { root + "/Scenarios" }

    static func scenarioFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: scenarios)
            .filter { $0.hasSuffix(".yaml") }
            .sorted()
            .map { scenarios + "/" + $0 }
    }
}
