import Foundation
import LanceArrow
import LanceCore
import Testing
@testable import Lance

/// Tags and cleanup written by Lancelet, checked by pylance 14.
@Suite struct WriteTagTests {
    @Test func tagsAndCleanupKeepWhatIsNeeded() async throws {
        let dir = try Python.tempDir("tags")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var ds = try await Dataset.create(at: dir, schema: WriteTests.schema, batches: [try WriteTests.batch(0 ..< 10)])
        ds = try await ds.append([try WriteTests.batch(10 ..< 20)])
        ds = try await ds.delete(offsets: [0])
        ds = try await Dataset.create(at: dir, schema: WriteTests.schema, batches: [try WriteTests.batch(100 ..< 105)],
                                      options: WriteOptions(mode: .overwrite))
        #expect(ds.version == 4)
        try await ds.createTag("first", version: 1)
        try await ds.createTag("gone", version: 2)
        await #expect(throws: LanceError.self) { try await ds.createTag("first", version: 2) }
        await #expect(throws: LanceError.self) { try await ds.createTag("nope", version: 9) }
        try await ds.updateTag("gone", version: 3)
        try await ds.deleteTag("gone")
        let tags = try Python.json("""
        import json, sys, lance
        ds = lance.dataset(sys.argv[1])
        print(json.dumps({k: int(v["version"]) for k, v in ds.tags.list().items()}))
        """, args: [dir]) as! [String: Int]
        #expect(tags == ["first": 1])
        #expect(try await ds.tags().map(\.name) == ["first"])

        // Cleanup removes versions 2 and 3 (untagged, not latest) and the files only they use.
        let stats = try await ds.cleanupOldVersions(olderThan: Date().addingTimeInterval(60), keep: 1)
        #expect(stats.removedVersions == [2, 3])
        #expect(stats.removedFiles > 0)
        let out = try Python.json("""
        import json, sys, lance
        uri = sys.argv[1]
        ds = lance.dataset(uri)
        print(json.dumps({"versions": [int(v["version"]) for v in ds.versions()],
                          "latest": lance.dataset(uri).to_table()["id"].to_pylist(),
                          "first": lance.dataset(uri, version="first").to_table()["id"].to_pylist()}))
        """, args: [dir]) as! [String: Any]
        #expect(out["versions"] as! [Int] == [1, 4])
        #expect(out["latest"] as! [Int] == Array(100 ..< 105))
        #expect(out["first"] as! [Int] == Array(0 ..< 10))
        #expect(try await Dataset.open(dir, version: .tag("first")).countRows() == 10)
    }
}
