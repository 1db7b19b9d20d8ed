import Foundation
import LanceCore

/// Where the repository, the reference Python and scratch space are, for every test target.
///
/// The reference Python is `LANCELET_PYTHON` when set, else the project's virtualenv (`.venv/bin/python`,
/// which `scripts/test` creates with the pinned pylance, pyarrow and numpy). Scratch directories go under
/// `LANCELET_TEST_TMP` when set, else the system's temporary directory.
public enum TestEnvironment {
    /// The repository root, found from this source file (Tests/LanceTestSupport/<file>).
    public static let repoRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The reference Python interpreter.
    public static var python: String {
        if let p = ProcessInfo.processInfo.environment["LANCELET_PYTHON"], !p.isEmpty { return p }
        return repoRoot.appendingPathComponent(".venv/bin/python").path
    }

    /// A path inside the repository.
    public static func path(_ relative: String) -> String { repoRoot.appendingPathComponent(relative).path }

    /// A fresh, uniquely named scratch directory; the caller removes it.
    public static func temporaryDirectory(_ label: String) throws -> URL {
        let base = ProcessInfo.processInfo.environment["LANCELET_TEST_TMP"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory
        let d = base.appendingPathComponent("lancelet-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    /// The `lancelet` executable: `LANCELET_BIN`, else the one built next to the test bundle, else the
    /// package's debug build directory.
    public static func lanceletExecutable() throws -> String {
        let fm = FileManager.default
        var candidates: [String] = []
        if let bin = ProcessInfo.processInfo.environment["LANCELET_BIN"], !bin.isEmpty { candidates.append(bin) }
        let arg0 = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(arg0.deletingLastPathComponent().appendingPathComponent("lancelet").path)
        for b in Bundle.allBundles where b.bundleURL.pathExtension == "xctest" {
            candidates.append(b.bundleURL.deletingLastPathComponent().appendingPathComponent("lancelet").path)
        }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("lancelet").path)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("lancelet").path)
        candidates.append(repoRoot.appendingPathComponent(".build/debug/lancelet").path)
        for c in candidates where fm.isExecutableFile(atPath: c) { return c }
        throw LanceError(.notFound, "the lancelet executable was not found; looked at " + candidates.joined(separator: ", ")
                         + ". Build it with `swift build --build-tests` (or set LANCELET_BIN).")
    }
}
