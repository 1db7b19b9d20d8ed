import Foundation
import LanceArrow
import LanceCore
@testable import LanceFile
import LanceIO
import LanceProto
import Testing

@Suite("V20 encoding trees")
struct V20EncodingTests {
    /// Every encoding the fixture files are meant to exercise really occurs in them.
    @Test("fixtures cover every 2.0 encoding pylance emits")
    func coverage() async throws {
        let fx = try await V20FixtureSet.shared.value
        var seen = Set<String>()
        func walk(_ e: Lance_Encodings_ArrayEncoding) {
            switch e.arrayEncoding {
            case .nullable(let n)?:
                switch n.nullability {
                case .noNulls(let x)?: seen.insert("no_nulls"); walk(x.values)
                case .someNulls(let x)?: seen.insert("some_nulls"); walk(x.validity); walk(x.values)
                case .allNulls?: seen.insert("all_nulls")
                case nil: break
                }
            case .flat(let f)?:
                seen.insert("flat\(f.bitsPerValue == 1 ? "1" : "")")
                if f.hasCompression { seen.insert("flat-" + f.compression.scheme) }
            case .fixedSizeList(let f)?: seen.insert("fixed_size_list"); walk(f.items)
            case .list(let l)?: seen.insert("list"); walk(l.offsets)
            case .struct?: seen.insert("struct")
            case .binary(let b)?: seen.insert("binary"); walk(b.indices); walk(b.bytes)
            case .dictionary(let d)?: seen.insert("dictionary"); walk(d.indices); walk(d.items)
            case .fsst(let f)?: seen.insert("fsst"); walk(f.binary)
            case .packedStruct(let p)?: seen.insert("packed_struct"); p.inner.forEach(walk)
            default: seen.insert("other")
            }
        }
        for name in ["prim1", "primN", "nested1", "nestedN", "options"] {
            let file = try await fx.open(name)
            for (c, col) in file.columns.enumerated() {
                if case .direct? = col.encoding.location {
                    let ce = try LanceFileReader.unpack(col.encoding, as: Lance_Encodings_ColumnEncoding.self, path: name, what: "column \(c)")
                    if case .blob? = ce.columnEncoding { seen.insert("blob") }
                }
                for (p, page) in col.pages.enumerated() {
                    walk(try LanceFileReader.unpack(page.encoding, as: Lance_Encodings_ArrayEncoding.self, path: name, what: "c\(c)p\(p)"))
                }
            }
        }
        let wanted: Set<String> = ["no_nulls", "some_nulls", "all_nulls", "flat", "flat1", "flat-zstd", "flat-lz4",
                                   "fixed_size_list", "list", "struct", "binary", "dictionary", "fsst", "packed_struct", "blob"]
        #expect(wanted.subtracting(seen).isEmpty, "not covered: \(wanted.subtracting(seen))")
        #expect(!seen.contains("other"))
    }

    private func page(_ file: LanceFileReader, buffers: [BufferLocation]) -> V20Page {
        V20Page(file: file, column: 0, page: 0, rows: 8, pageBuffers: buffers, columnBuffers: [])
    }

    @Test("constant and fixed_size_binary nodes (not emitted by pylance 14 for 2.0)")
    func handBuiltNodes() async throws {
        let fx = try await V20FixtureSet.shared.value
        let file = try await fx.open("prim1")
        let raw = try await file.read(offset: 0, size: 64).bytes
        let p = page(file, buffers: [BufferLocation(offset: 0, size: 64)])

        var constant = Lance_Encodings_ArrayEncoding()
        constant.constant.value = Data([0x2A, 0, 0, 0])
        let c = try await p.decode(constant, .int32, [1 ..< 3, 5 ..< 8], depth: 0)
        #expect(c.count == 5)
        #expect((0 ..< 5).allSatisfy { c.value($0, as: Int32.self) == 42 })

        var flat = Lance_Encodings_ArrayEncoding()
        flat.flat.bitsPerValue = 8
        flat.flat.buffer.bufferIndex = 0
        var fsb = Lance_Encodings_ArrayEncoding()
        fsb.fixedSizeBinary.bytes = flat
        fsb.fixedSizeBinary.byteWidth = 4
        let b = try await p.decode(fsb, .binary, [1 ..< 3, 5 ..< 6], depth: 0)
        #expect(b.count == 3)
        #expect(b.bytes(0) == Array(raw[4 ..< 8]) && b.bytes(1) == Array(raw[8 ..< 12]) && b.bytes(2) == Array(raw[20 ..< 24]))

        // A flat node reading past its buffer is corrupt, not a trap.
        await #expect(throws: LanceError.self) { try await p.decode(fsb, .binary, [0 ..< 17], depth: 0) }
    }

    @Test("unknown or foreign encodings are unsupported and named")
    func unsupported() async throws {
        let fx = try await V20FixtureSet.shared.value
        let file = try await fx.open("prim1")
        let p = page(file, buffers: [BufferLocation(offset: 0, size: 64)])
        var bp = Lance_Encodings_ArrayEncoding()
        bp.bitpacked.compressedBitsPerValue = 3
        bp.bitpacked.uncompressedBitsPerValue = 32
        var rle = Lance_Encodings_ArrayEncoding()
        rle.rle.bitsPerValue = 8
        var flat3 = Lance_Encodings_ArrayEncoding()
        flat3.flat.bitsPerValue = 3
        flat3.flat.buffer.bufferIndex = 0
        for (e, word) in [(bp, "bitpacked"), (rle, "rle"), (flat3, "3 bits")] {
            do {
                _ = try await p.decode(e, .int32, [0 ..< 4], depth: 0)
                Issue.record("\(word) decoded")
            } catch let err as LanceError {
                #expect(err.code == .unsupported, "\(err)")
                #expect(err.message.contains(word), "\(err)")
            }
        }
        // An empty encoding is corrupt.
        await #expect(throws: LanceError.self) { try await p.decode(Lance_Encodings_ArrayEncoding(), .int32, [0 ..< 4], depth: 0) }
    }
}
