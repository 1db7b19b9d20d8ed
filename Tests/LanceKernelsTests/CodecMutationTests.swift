import Foundation
import LanceKernels
import Testing

/// Seeded corruption of valid inputs: every decoder must throw `CodecError` or return a bounded result;
/// a crash, trap or hang fails the whole test process.
@Suite struct CodecMutationTests {
    static func mutate(_ base: [UInt8], _ rng: inout CodecTestRNG) -> [UInt8] {
        var b = base
        func pos(_ n: Int) -> Int { n == 0 ? 0 : Int(rng.next() % UInt64(n)) }
        switch rng.next() % 7 {
        case 0, 1:  // overwrite 1-3 bytes
            for _ in 0..<(1 + pos(3)) where !b.isEmpty { b[pos(b.count)] = UInt8(truncatingIfNeeded: rng.next()) }
        case 2:  // truncate
            b = Array(b.prefix(pos(b.count + 1)))
        case 3:  // insert random bytes
            let at = pos(b.count + 1)
            b.insert(contentsOf: (0..<(1 + pos(8))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
        case 4:  // extreme byte values
            if !b.isEmpty { b[pos(b.count)] = rng.next() & 1 == 0 ? 0xFF : 0x00 }
        case 5:  // flip one bit
            if !b.isEmpty { let i = pos(b.count); b[i] ^= UInt8(1) << UInt8(pos(8)) }
        default:  // random garbage
            b = (0..<pos(64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        }
        return b
    }

    @Test func lz4() throws {
        var rng = CodecTestRNG(seed: 0x1234)
        let text = Array(try CodecVectors.data("fsst/captions.txt").prefix(1500))
        let floats = Array(try CodecVectors.data("lz4/floats.raw").prefix(1200))
        let raws = [text, floats, [UInt8](repeating: 7, count: 700), Array("abcabcabcabcabcabcabc-xyz-abcabc".utf8), []]
        let bases = raws.map { (LZ4.compressBlock($0), $0.count) }
        var outcomes = (ok: 0, thrown: 0)
        for i in 0..<25_000 {
            let (block, size) = bases[i % bases.count]
            let input = Self.mutate(block, &rng)
            var declared = size
            switch rng.next() % 6 {
            case 0: declared = size + Int(rng.next() % 64) - 32
            case 1: declared = Int(rng.next() % (1 << 40))
            default: break
            }
            do {
                let out = try LZ4.decompressBlock(input, decompressedSize: declared)
                #expect(out.count == declared)
                outcomes.ok += 1
            } catch {
                outcomes.thrown += 1
            }
            // Into a caller buffer of a random size.
            var buf = [UInt8](repeating: 0, count: Int(rng.next() % 2048))
            _ = try? input.withUnsafeBytes { i in try buf.withUnsafeMutableBytes { try LZ4.decompressBlock(i, into: $0) } }
        }
        #expect(outcomes.ok + outcomes.thrown == 25_000 && outcomes.thrown > 10_000 && outcomes.ok > 100)
    }

    @Test func fsst() throws {
        var rng = CodecTestRNG(seed: 0xF557)
        let caps = FSSTTests.captions() 
        let c = FSST.compress(strings: Array(caps.prefix(400)), minimumInputSize: 0)
        let some = Array(c.offsets.prefix(41))
        let data = Array(c.bytes.prefix(some.last!))
        var outcomes = (ok: 0, thrown: 0)
        for i in 0..<15_000 {
            var table = c.symbolTable, bytes = data, offsets = some
            switch i % 3 {
            case 0: table = Self.mutate(table, &rng)
            case 1: bytes = Self.mutate(bytes, &rng)
            default:
                let k = Int(rng.next() % UInt64(offsets.count))
                offsets[k] = rng.next() & 1 == 0 ? offsets[k] + Int(rng.next() % 9) - 4 : Int(truncatingIfNeeded: rng.next())
                if rng.next() % 4 == 0 { offsets = Array(offsets.prefix(Int(rng.next() % 3))) }
            }
            do {
                let out = try FSST.decompress(symbolTable: table, compressed: bytes, offsets: offsets)
                #expect(out.offsets.count == offsets.count && out.bytes.count <= 8 * bytes.count)
                outcomes.ok += 1
            } catch {
                outcomes.thrown += 1
            }
        }
        #expect(outcomes.ok > 1000 && outcomes.thrown > 1000)
    }

    @Test func bitUnpacking() throws {
        var rng = CodecTestRNG(seed: 0xB17)
        let widths = [Int.min, -1, 0, 1, 7, 8, 9, 16, 17, 31, 32, 33, 63, 64, 65, Int.max]
        var thrown = 0
        let pool = (0..<9000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        for _ in 0..<10_000 {
            let width = rng.next() % 3 == 0 ? widths[Int(rng.next() % UInt64(widths.count))] : Int(rng.next() % 70)
            let start = Int(rng.next() % 100)
            let input = Array(pool[start..<(start + Int(rng.next() % 8900))])
            let offset = Int(rng.next() % 10)
            let count = Int(rng.next() % 5000)
            _ = try? input.withUnsafeBytes { try FastLanes.unpackInlineChunk($0, count: count, as: UInt32.self) }
            _ = try? input.withUnsafeBytes { try FastLanes.unpackOutOfLine($0, bitWidth: width, count: count, as: UInt16.self) }
            do {
                switch rng.next() % 4 {
                case 0: _ = try FastLanes.unpack(input, offset: offset, bitWidth: width, as: UInt8.self)
                case 1: _ = try FastLanes.unpack(input, offset: offset, bitWidth: width, as: UInt16.self)
                case 2: _ = try FastLanes.unpack(input, offset: offset, bitWidth: width, as: UInt32.self)
                default: _ = try FastLanes.unpack(input, offset: offset, bitWidth: width, as: UInt64.self)
                }
            } catch {
                thrown += 1
            }
        }
        #expect(thrown > 5000)
    }

    @Test func roaring() throws {
        var rng = CodecTestRNG(seed: 0x5EED)
        var bases: [[UInt8]] = ["runs", "sparse", "many_containers", "runs_mixed_containers", "near_2_32", "exactly_4097"].map {
            (try? CodecVectors.data("roaring/\($0).bin")) ?? []
        }
        bases.append(RoaringBitmap([1, 2, 3, 100_000, 4_000_000_000]).serialized())
        #expect(bases.allSatisfy { !$0.isEmpty })
        var outcomes = (ok: 0, thrown: 0)
        for i in 0..<12_000 {
            let input = Self.mutate(bases[i % bases.count], &rng)
            do {
                let b = try RoaringBitmap(serialized: input)
                #expect(b.count <= 65536 * 65536)
                outcomes.ok += 1
            } catch {
                outcomes.thrown += 1
            }
        }
        #expect(outcomes.ok > 500 && outcomes.thrown > 3000)
    }
}
