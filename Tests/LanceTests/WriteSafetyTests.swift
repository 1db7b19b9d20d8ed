import Foundation
import LanceArrow
import LanceCore
import LanceIO
import Testing
@testable import Lance

/// A local store whose manifest publication fails, like a writer killed just before its commit.
struct CrashBeforeCommitStore: ObjectStore {
    let inner: LocalStore
    var root: String { inner.root }
    func open(_ path: String) async throws -> any ReadableObject { try await inner.open(path) }
    func size(_ path: String) async throws -> UInt64? { try await inner.size(path) }
    func list(_ directory: String) async throws -> [ObjectMeta] { try await inner.list(directory) }
    func put(_ path: String, _ data: [UInt8]) async throws { try await inner.put(path, data) }
    func putIfAbsent(_ path: String, _ data: [UInt8]) async throws -> Bool {
        throw LanceError(.io, "simulated crash before publishing", path: path)
    }
    func delete(_ path: String) async throws { try await inner.delete(path) }
}

@Suite struct WriteSafetyTests {
    /// Data files written without a published manifest change nothing that readers see.
    @Test func failedCommitLeavesLastVersion() async throws {
        let dir = try Python.tempDir("crash")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ds = try await Dataset.create(at: dir, schema: WriteTests.schema, batches: [try WriteTests.batch(0 ..< 20)])
        let crashing = CrashBeforeCommitStore(inner: LocalStore(root: dir))
        let view = try await Dataset.open(store: crashing)
        await #expect(throws: LanceError.self) { _ = try await view.append([try WriteTests.batch(20 ..< 40)]) }
        await #expect(throws: LanceError.self) { _ = try await view.delete(offsets: [0, 1]) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/data").count == 2)
        let out = try Python.json(WriteTests.inspect, args: [dir]) as! [String: Any]
        #expect(out["version"] as! Int == 1)
        #expect(out["ids"] as! [Int] == Array(0 ..< 20))
        let again = try await Dataset.open(dir)
        #expect(again.version == ds.version)
        #expect(try await again.countRows() == 20)
    }

    /// V1-named datasets keep V1 names when Lancelet appends.
    @Test func v1NamingIsKept() async throws {
        let dir = try Python.tempDir("v1")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ds = try await Dataset.create(at: dir, schema: WriteTests.schema, batches: [try WriteTests.batch(0 ..< 5)],
                                          options: WriteOptions(enableV2ManifestPaths: false))
        let ds2 = try await ds.append([try WriteTests.batch(5 ..< 9)])
        #expect(ds2.manifestPath == "_versions/2.manifest")
        let out = try Python.json(WriteTests.inspect, args: [dir]) as! [String: Any]
        #expect(out["ids"] as! [Int] == Array(0 ..< 9))
        #expect(out["versions"] as! [Int] == [1, 2])
    }

    /// pylance and Lancelet append to the same dataset at the same time: every row lands, versions are consecutive.
    @Test func pylanceAndLanceletAppendConcurrently() async throws {
        let dir = try Python.tempDir("mixed")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ds = try await Dataset.create(at: dir, schema: WriteTests.schema, batches: [try WriteTests.batch(0 ..< 3)])
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Python.executable)
        p.arguments = ["-c", """
        import sys, lance, pyarrow as pa
        uri = sys.argv[1]
        print("ready", flush=True)
        for i in range(8):
            lance.write_dataset(pa.table({"id": pa.array([10000 + i], pa.int64()), "s": ["py"]}), uri, mode="append")
        print("done", flush=True)
        """, dir]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let handle = out.fileHandleForReading
        let ready = await Task.detached { String(decoding: handle.availableData, as: UTF8.self) }.value
        #expect(ready.hasPrefix("ready"))
        for i in 0 ..< 8 {
            _ = try await ds.append([try WriteTests.batch(100 + i ..< 101 + i)])
        }
        await Task.detached { p.waitUntilExit() }.value
        #expect(p.terminationStatus == 0)
        let result = try Python.json(WriteTests.inspect, args: [dir]) as! [String: Any]
        #expect(result["versions"] as! [Int] == Array(1 ... 17))
        #expect((result["ids"] as! [Int]).sorted() == Array(0 ..< 3) + Array(100 ..< 108) + Array(10000 ..< 10008))
        let mine = try await Dataset.open(dir)
        #expect(mine.version == 17)
        #expect(try await mine.countRows() == 19)
    }
}
