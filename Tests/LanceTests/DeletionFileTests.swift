import Foundation
import LanceArrow
import LanceCore
import LanceIO
import Testing
@testable import Lance

@Suite struct DeletionFileTests {
    /// A pylance-written `.arrow` deletion file decodes to the deleted offsets; every truncation and
    /// single-byte corruption of it throws or decodes, never traps.
    @Test func arrowDeletionFileDecodesAndSurvivesCorruption() async throws {
        let dir = try Python.tempDir("delarrow")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = """
        import json, sys, glob, lance, pyarrow as pa
        uri = sys.argv[1]
        ds = lance.write_dataset(pa.table({"id": pa.array(range(3000), pa.int64())}), uri)
        ds.delete("id in (2999, 7, 1000, 0, 1)")
        print(json.dumps(glob.glob(uri + "/_deletions/*.arrow")))
        """
        let files = try Python.json(script, args: [dir]) as! [String]
        #expect(files.count == 1)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: files[0])))
        let rows = try DeletionArrowFile.rows(Buffer(bytes), path: files[0])
        #expect(rows.sorted() == [0, 1, 7, 1000, 2999])
        for n in stride(from: 0, to: bytes.count, by: 7) {
            _ = try? DeletionArrowFile.rows(Buffer(bytes.prefix(n)), path: "t")
        }
        var generator = SystemRandomNumberGenerator()
        for pos in 0 ..< bytes.count {
            for value: UInt8 in [0, 0xFF, UInt8.random(in: 1 ... 254, using: &generator)] {
                var m = bytes
                m[pos] = value
                _ = try? DeletionArrowFile.rows(Buffer(m), path: "t")
            }
        }
        // Through the dataset: the vector is applied.
        let ds = try await Dataset.open(dir)
        #expect(try await ds.countRows() == 2995)
        let t = try await ds.take(offsets: [0, 2994], columns: [], withRowAddress: true)
        #expect((0 ..< 2).map { t.columns[0].value($0, as: UInt64.self) } == [2, 2998])
    }
}
