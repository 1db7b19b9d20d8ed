import Foundation
import LanceCore
import Testing
import LanceTestSupport

/// Lancelet builds vector indexes (through `lancelet index create`) on copies of the datasets of
/// `scripts/conformance/make_ivf.py`; `scripts/conformance/check_ivf.py` then has pylance list them,
/// report their statistics and search them, and compares recall@10 with pylance's own index on the
/// same data.
///
/// Needs `LANCELET_IVF_DIR` (set by `scripts/test`; by hand:
/// `.venv/bin/python scripts/conformance/make_ivf.py --out DIR` then
/// `LANCELET_IVF_DIR=DIR swift test --filter IndexBuildConformance`). Fails when it is unset.
@Suite struct IndexBuildConformanceTests {
    static let envVar = "LANCELET_IVF_DIR"
    static let missing = "<missing: run scripts/test, or make_ivf.py and set \(envVar)>"

    static var directory: URL? {
        guard let d = ProcessInfo.processInfo.environment[envVar], !d.isEmpty else { return nil }
        return URL(fileURLWithPath: d, isDirectory: true)
    }

    static func cases() -> [String] {
        guard let dir = directory, let data = try? Data(contentsOf: dir.appendingPathComponent("cases.json")),
              let names = try? JSONSerialization.jsonObject(with: data) as? [String], !names.isEmpty
        else { return [missing] }
        return names
    }

    /// Runs a program to completion (at most an hour), capturing stdout and stderr through files.
    static func runProgram(_ exe: String, _ args: [String]) async throws -> (Int32, String, String) {
        let o = try await Subprocess.run(exe, args, timeout: 3600)
        return (o.status, o.text, o.stderr)
    }

    @Test(arguments: cases())
    func pylanceUsesLanceletIndex(name: String) async throws {
        guard let dir = IndexBuildConformanceTests.directory, name != IndexBuildConformanceTests.missing else {
            Issue.record("\(IndexBuildConformanceTests.envVar) is not set: run scripts/test, or run make_ivf.py --out DIR and set it")
            return
        }
        let caseDir = dir.appendingPathComponent(name)
        let params = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: caseDir.appendingPathComponent("case.json"))) as? [String: Any])
        let fm = FileManager.default
        let copy = fm.temporaryDirectory.appendingPathComponent("ivf-ours-\(name)-\(UUID().uuidString)")
        try fm.copyItem(at: caseDir.appendingPathComponent("base"), to: copy)
        defer { try? fm.removeItem(at: copy) }

        var args = ["index", "create", copy.path, "--column", params["column"] as? String ?? "vec",
                    "--type", params["index_type"] as? String ?? "IVF_PQ", "--metric", params["metric"] as? String ?? "l2",
                    "--num-partitions", "\(params["num_partitions"] as? Int ?? 1)",
                    "--max-iterations", "\(params["max_iterations"] as? Int ?? 50)", "--seed", "11"]
        if let m = params["num_sub_vectors"] as? Int { args += ["--num-sub-vectors", "\(m)"] }
        let built = try await Conformance.run(args)
        #expect(built.status == 0, "\(Conformance.describe(args)) failed: \(built.stderr)")
        guard built.status == 0 else { return }
        let out = String(decoding: built.stdout, as: UTF8.self)
        #expect(out.contains("\"name\":\"vec_idx\""), "unexpected output \(out)")

        let checker = TestEnvironment.path("scripts/conformance/check_ivf.py")
        let (status, report, err) = try await IndexBuildConformanceTests.runProgram(
            TestEnvironment.python, [checker, "--case", caseDir.path, "--ours", copy.path])
        #expect(status == 0, "check_ivf.py: \(report) \(err.split(separator: "\n").suffix(5).joined(separator: "\n"))")
    }
}
