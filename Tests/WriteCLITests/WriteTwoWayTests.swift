import Foundation
import Lance
import LanceArrow
import LanceCore
import Testing

/// Lancelet writes, pylance reads every value, mutates (append, delete, IVF_PQ index, tag), and
/// Lancelet reads pylance's result back. Inputs come from `scripts/conformance/make_write.py --out DIR`
/// (scripts/test runs it); run by hand with
/// `LANCELET_WRITE_CONFORMANCE_DIR=DIR swift test --filter WriteTwoWayTests`.
@Suite struct WriteTwoWayTests {
    static let envVar = "LANCELET_WRITE_CONFORMANCE_DIR"

    static var directory: String? {
        ProcessInfo.processInfo.environment[envVar].flatMap { $0.isEmpty ? nil : $0 }
    }

    static func cases() -> [String] {
        guard let d = directory, let data = FileManager.default.contents(atPath: d + "/cases.json"),
              let list = try? JSONValue.parse([UInt8](data)).arrayValue
        else { return ["<missing: set \(envVar) to the --out of scripts/conformance/make_write.py>"] }
        return list.compactMap { $0["name"]?.stringValue }
    }

    @Test(arguments: cases())
    func lanceletWritesPylanceMutatesLanceletReads(_ name: String) throws {
        guard let dir = WriteTwoWayTests.directory else {
            Issue.record("\(WriteTwoWayTests.envVar) is not set: run scripts/test, or make_write.py --out DIR and set it")
            return
        }
        let all = try JSONValue.parse([UInt8](FileManager.default.contents(atPath: dir + "/cases.json") ?? Data()))
        guard let c = all.arrayValue?.first(where: { $0["name"]?.stringValue == name }),
              let input = c["input"]?.stringValue, let dsv = c["dsv"]?.stringValue
        else { Issue.record("case \(name) not in cases.json"); return }
        let stable = c["stable"]?.boolValue ?? false
        let work = try CLI.tempDir("twoway-\(name)")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let uri = work + "/ds.lance", inputPath = dir + "/" + input
        var create = ["create", uri, "--from", inputPath, "--data-storage-version", dsv, "--max-rows-per-file", "120"]
        if stable { create.append("--enable-stable-row-ids") }
        try CLI.lancelet(create)
        try CLI.lancelet(["tags", "create", uri, "lancelet"])
        // pylance: compare every value with the input, check our tag, append, delete, index, tag.
        var check = [CLI.repoRoot.appendingPathComponent("scripts/conformance/make_write.py").path,
                     "--check", uri, "--input", inputPath, "--out", work + "/expected"]
        if stable { check.append("--stable") }
        try CLI.python(check)

        let expected = try JSONValue.parse([UInt8](FileManager.default.contents(atPath: work + "/expected/expected.json") ?? Data()))
        let info = try JSONValue.parse(try CLI.lancelet(["info", uri, "--json"]).stdout)
        for key in ["count", "version", "data_storage_version", "tags", "indices", "fragments", "schema"] {
            #expect(info[key] == expected[key], "\(name): `\(key)` differs")
        }
        #expect(info["versions"]?.arrayValue?.map { $0["version"] } == expected["versions"]?.arrayValue?.map { $0["version"] })
        #expect(info["indices"]?.arrayValue?.first?["type"]?.stringValue == (input.hasPrefix("typed") ? "IVF_PQ" : nil))
        var scan = ["scan", uri, "--with-row-address"]
        if stable { scan.append("--with-row-id") }
        let rows = try CLI.jsonLines(try CLI.lancelet(scan).stdout)
        let want = try CLI.jsonLines([UInt8](FileManager.default.contents(atPath: work + "/expected/expected.jsonl") ?? Data()))
        #expect(rows.count == want.count)
        if let k = (0 ..< min(rows.count, want.count)).first(where: { rows[$0] != want[$0] }) {
            Issue.record("\(name): row \(k) differs:\n\(rows[k])\nvs\n\(want[k])")
        }

        // Lancelet appends to what pylance wrote (keeping its index) and tags it; pylance sees both.
        try CLI.lancelet(["append", uri, "--from", inputPath])
        try CLI.lancelet(["tags", "create", uri, "lancelet2"])
        let count = expected["count"]?.int64Value ?? -1
        let out = try CLI.python(["-c", """
            import lance, sys, json
            d = lance.dataset(sys.argv[1])
            n = lance.dataset(sys.argv[1], version="pylance").count_rows()
            print(json.dumps({"count": d.count_rows(), "tags": sorted(d.tags.list()), "pylance": n,
                              "indices": [i["type"] for i in d.list_indices()]}))
            """, uri])
        let seen = try JSONValue.parse(out.stdout)
        let inputRows = try ArrowIPCFileReaderOrStream.rows(inputPath)
        #expect(seen["count"]?.int64Value == count + Int64(inputRows))
        #expect(seen["pylance"]?.int64Value == count)
        #expect(seen["tags"] == .array([.string("lancelet"), .string("lancelet2"), .string("pylance")]))
    }
}

enum ArrowIPCFileReaderOrStream {
    static func rows(_ path: String) throws -> Int {
        let bytes = [UInt8](FileManager.default.contents(atPath: path) ?? Data())
        if bytes.starts(with: Array("ARROW1".utf8)) {
            return try ArrowIPCFileReader(bytes: bytes).recordBatches().reduce(0) { $0 + $1.count }
        }
        return try ArrowIPCStreamReader.read(bytes: bytes).batches.reduce(0) { $0 + $1.count }
    }
}
