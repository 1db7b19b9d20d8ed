import Foundation
import LanceArrow
import LanceCore
import LanceIO
import Testing
@testable import Lance

/// Wraps a store and counts the bytes read from objects whose path contains `data/`.
final class ByteCountingStore: ObjectStore, @unchecked Sendable {
    let inner: MemoryStore
    private let lock = NSLock()
    private var total = 0
    init(_ inner: MemoryStore) { self.inner = inner }
    var root: String { inner.root }
    var dataBytesRead: Int { lock.withLock { total } }
    func reset() { lock.withLock { total = 0 } }
    func add(_ n: Int) { lock.withLock { total += n } }
    func open(_ path: String) async throws -> any ReadableObject {
        let o = try await inner.open(path)
        return path.contains("data/") ? CountedObject(inner: o, store: self) : o
    }
    func size(_ path: String) async throws -> UInt64? { try await inner.size(path) }
    func list(_ directory: String) async throws -> [ObjectMeta] { try await inner.list(directory) }
    func put(_ path: String, _ data: [UInt8]) async throws { try await inner.put(path, data) }
    func putIfAbsent(_ path: String, _ data: [UInt8]) async throws -> Bool { try await inner.putIfAbsent(path, data) }
    func delete(_ path: String) async throws { try await inner.delete(path) }

    struct CountedObject: ReadableObject {
        let inner: any ReadableObject
        let store: ByteCountingStore
        var path: String { inner.path }
        var size: UInt64 { inner.size }
        func read(_ range: Range<UInt64>) async throws -> Buffer {
            store.add(range.count)
            return try await inner.read(range)
        }
    }
}

@Suite struct FilteredScanTests {
    static let rows = 400
    static let imageSize = 4096

    /// 400 rows in two fragments: id, width (id % 100 * 10), caption, and a 4 KiB incompressible image.
    static func makeDataset() async throws -> (Dataset, ByteCountingStore) {
        let store = ByteCountingStore(MemoryStore())
        let schema = Schema([Field("id", .int64), Field("width", .int64), Field("caption", .utf8),
                             Field("image", .largeBinary)])
        var state: UInt64 = 12345
        func batch(_ range: Range<Int>) throws -> RecordBatch {
            let images: [[UInt8]?] = range.map { _ in
                (0 ..< imageSize).map { _ in
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    return UInt8(truncatingIfNeeded: state >> 33)
                }
            }
            return try RecordBatch(schema: schema, columns: [
                .primitive(.int64, values: range.map { Int64($0) }),
                .primitive(.int64, range.map { $0 % 7 == 3 ? nil : Int64($0 % 100 * 10) }),
                .strings(range.map { "caption \($0)" }),
                .binaries(images, type: .largeBinary),
            ])
        }
        var options = WriteOptions()
        options.maxRowsPerFile = 200
        let ds = try await Dataset.create(store: store, schema: schema,
                                          batches: ArrayBatches([try batch(0 ..< 200), try batch(200 ..< rows)]),
                                          options: options)
        return (ds, store)
    }

    static func ids(_ b: RecordBatch) -> [Int64] {
        let a = b.column("id")!
        return (0 ..< a.count).map { a.value($0, as: Int64.self) }
    }

    @Test func lateMaterializationReadsOnlyMatchingImages() async throws {
        let (ds, store) = try await Self.makeDataset()
        #expect(ds.fragments.count == 2)
        store.reset()
        let all = try await ds.toBatch(columns: ["id", "image"])
        let fullBytes = store.dataBytesRead
        #expect(all.count == Self.rows)
        #expect(fullBytes >= Self.rows * Self.imageSize)

        store.reset()
        let filtered = try await ds.toBatch(columns: ["id", "image"], where: "width >= 980")
        let filteredBytes = store.dataBytesRead
        let want = (0 ..< Self.rows).filter { $0 % 7 != 3 && $0 % 100 * 10 >= 980 }.map(Int64.init)
        #expect(Self.ids(filtered) == want)
        // 8 of 400 images match: far less than the full image column may be read.
        #expect(filteredBytes < fullBytes / 5, "filtered scan read \(filteredBytes) of \(fullBytes) bytes")
        // The images are the right ones.
        let img = filtered.column("image")!
        for (k, id) in Self.ids(filtered).enumerated() {
            let full = all.column("image")!
            #expect(img.bytes(k) == full.bytes(Int(id)))
        }
    }

    @Test func limitOffsetDeletionsAndVirtualColumns() async throws {
        var (ds, _) = try await Self.makeDataset()
        let matching = (0 ..< Self.rows).filter { $0 % 7 != 3 && $0 % 100 * 10 < 100 }.map(Int64.init)
        #expect(Self.ids(try await ds.toBatch(columns: ["id"], where: "width < 100")) == matching)
        #expect(try await ds.countRows(where: "width < 100") == matching.count)
        #expect(try await ds.countRows(where: nil) == Self.rows)
        // limit/offset count matching rows, across fragments.
        let page = try await ds.toBatch(columns: ["id"], where: "width < 100", limit: 5, offset: 7)
        #expect(Self.ids(page) == Array(matching[7 ..< 12]))
        // Deleted rows never match.
        ds = try await ds.delete(offsets: [0, 1, 201])
        let after = matching.filter { ![0, 1, 201].contains($0) }
        #expect(Self.ids(try await ds.toBatch(columns: ["id"], where: "width < 100")) == after)
        #expect(try await ds.countRows(where: "width < 100") == after.count)
        // Row addresses, _rowaddr in the filter, and columns in any order.
        let addrs = try await ds.rowAddresses(where: "width < 100")
        #expect(addrs.count == after.count)
        #expect(addrs.first == 2)  // fragment 0, row 2
        let b = try await ds.toBatch(columns: ["caption", "id", "width"], where: "_rowaddr >= 4294967296 AND width IS NULL",
                                     withRowAddress: true)
        #expect(b.schema.names == ["caption", "id", "width", "_rowaddr"])
        #expect(Self.ids(b) == (200 ..< Self.rows).filter { $0 % 7 == 3 }.map(Int64.init))
        #expect(b.column("caption")!.string(0) == "caption \(Self.ids(b)[0])")
        // Filter columns that are also projected come back filtered.
        let w = try await ds.toBatch(columns: ["width"], where: "width = 990")
        let n990 = (0 ..< Self.rows).filter { $0 % 7 != 3 && $0 % 100 == 99 }.count
        #expect(w.count == n990 && (0 ..< n990).allSatisfy { w.column("width")!.value($0, as: Int64.self) == 990 })
    }

    @Test func badFiltersThrow() async throws {
        let (ds, _) = try await Self.makeDataset()
        for bad in ["widht > 5", "width > 'x'", "width >", "caption + 1 > 2", "width"] {
            await #expect(throws: LanceError.self, "\(bad)") { _ = try await ds.countRows(where: bad) }
            #expect(throws: LanceError.self) { _ = try ds.bindFilter(bad) }
        }
        do {
            _ = try await ds.toBatch(columns: ["id"], where: "widht > 5")
        } catch let e as LanceError {
            #expect(e.message.contains("did you mean `width`?"))
        }
    }
}
