import LanceArrow
import LanceCore
import LanceKernels

/// Reads the `row_id` column of an Arrow IPC deletion file (`_deletions/*.arrow`).
///
/// A deliberately small IPC *file* reader for exactly what Lance writes there: record batches with
/// one non-null uint32 column, body buffers optionally ZSTD-compressed. Every offset is checked.
enum DeletionArrowFile {
    static func rows(_ buffer: Buffer, path: String) throws -> [UInt32] {
        let bytes = buffer.bytes
        func corrupt(_ m: String) -> LanceError { LanceError.corrupt("Arrow IPC deletion file: " + m, path: path) }
        let magic = Array("ARROW1".utf8)
        guard bytes.count >= 6 + 2 + 4 + 6, Array(bytes[0 ..< 6]) == magic, Array(bytes[(bytes.count - 6)...]) == magic else {
            throw corrupt("missing ARROW1 magic")
        }
        let fb = FlatBuffer(bytes: bytes, corrupt: corrupt)
        let footerLength = Int(try fb.i32(bytes.count - 10))
        guard footerLength > 0, footerLength <= bytes.count - 18 else { throw corrupt("footer length \(footerLength) is invalid") }
        let footerStart = bytes.count - 10 - footerLength
        let footer = try fb.root(at: footerStart, limit: bytes.count - 10)
        // Footer.recordBatches (field 3): a vector of Block structs (offset i64, metaDataLength i32, pad, bodyLength i64).
        guard let blocks = try fb.vector(footer, field: 3, elementSize: 24) else { return [] }
        var rows: [UInt32] = []
        for k in 0 ..< blocks.count {
            let b = blocks.start + k * 24
            let offset = try fb.i64(b), metaLength = Int64(try fb.i32(b + 8)), bodyLength = try fb.i64(b + 16)
            guard offset >= 8, metaLength >= 8, bodyLength >= 0, offset <= Int64(footerStart),
                  metaLength <= Int64(footerStart) - offset, bodyLength <= Int64(footerStart) - offset - metaLength else {
                throw corrupt("record batch block \(k) lies outside the file")
            }
            var msgStart = Int(offset)
            if try fb.u32(msgStart) == 0xFFFF_FFFF { msgStart += 4 }
            let declared = Int(try fb.i32(msgStart))
            guard declared >= 0, msgStart + 4 + declared <= Int(offset + metaLength) else {
                throw corrupt("message \(k) metadata length \(declared) is invalid")
            }
            let message = try fb.root(at: msgStart + 4, limit: msgStart + 4 + declared)
            // Message.header_type (field 1) must be RecordBatch (3); Message.header is field 2.
            guard try fb.u8(message, field: 1) == 3, let batch = try fb.table(message, field: 2) else {
                throw corrupt("message \(k) is not a record batch")
            }
            let length = try fb.i64(batch, field: 0) ?? 0
            guard length >= 0, length <= Int64(UInt32.max) + 1 else { throw corrupt("record batch length \(length) is invalid") }
            let n = Int(length)
            guard let buffers = try fb.vector(batch, field: 2, elementSize: 16), buffers.count >= 2 else {
                throw corrupt("record batch has no value buffer")
            }
            var codec: Int?
            if let compression = try fb.table(batch, field: 3) { codec = Int(try fb.u8(compression, field: 0) ?? 0) }
            let bodyStart = Int(offset + metaLength)
            let vb = buffers.start + 16
            let bOffset = try fb.i64(vb), bLength = try fb.i64(vb + 8)
            guard bOffset >= 0, bLength >= 0, bOffset <= bodyLength, bLength <= bodyLength - bOffset else {
                throw corrupt("value buffer lies outside the record batch body")
            }
            let raw = Array(bytes[bodyStart + Int(bOffset) ..< bodyStart + Int(bOffset + bLength)])
            var values: [UInt8]
            if let codec {
                guard raw.count >= 8 else { throw corrupt("compressed buffer is shorter than its length prefix") }
                let uncompressed = fb.le64(raw, 0)
                let payload = Array(raw[8...])
                if uncompressed == -1 {
                    values = payload
                } else {
                    guard uncompressed >= 0, uncompressed <= Int64(n) * 4 + 64 else {
                        throw corrupt("compressed buffer claims \(uncompressed) bytes for \(n) values")
                    }
                    guard codec == 1 else {
                        throw LanceError.unsupported("Arrow IPC deletion file uses LZ4 frame compression", path: path)
                    }
                    values = try unzstd(payload, limit: Int(uncompressed), path: path)
                }
            } else {
                values = raw
            }
            guard values.count >= n * 4 else { throw corrupt("value buffer has \(values.count) bytes for \(n) uint32 values") }
            rows.reserveCapacity(rows.count + n)
            for i in 0 ..< n {
                rows.append(UInt32(values[4 * i]) | UInt32(values[4 * i + 1]) << 8 | UInt32(values[4 * i + 2]) << 16
                            | UInt32(values[4 * i + 3]) << 24)
            }
        }
        return rows
    }

    static func unzstd(_ payload: [UInt8], limit: Int, path: String) throws -> [UInt8] {
        do {
            return try Zstd.decompress(payload, limit: limit)
        } catch {
            throw LanceError.corrupt("Arrow IPC deletion file: zstd: \(error.message)", path: path)
        }
    }
}

/// Checked reads of FlatBuffers tables inside a byte array.
private struct FlatBuffer {
    let bytes: [UInt8]
    let corrupt: (String) -> LanceError

    struct Table { let pos: Int; let vtable: Int; let vtableSize: Int }
    struct Vector { let start: Int; let count: Int }

    func check(_ pos: Int, _ size: Int) throws {
        guard pos >= 0, size >= 0, pos <= bytes.count - size else { throw corrupt("flatbuffer read at \(pos) is out of bounds") }
    }

    func le64(_ b: [UInt8], _ at: Int) -> Int64 {
        var v: UInt64 = 0
        for k in 0 ..< 8 { v |= UInt64(b[at + k]) << (8 * UInt64(k)) }
        return Int64(bitPattern: v)
    }

    func u8(_ pos: Int) throws -> UInt8 { try check(pos, 1); return bytes[pos] }
    func u16(_ pos: Int) throws -> Int { try check(pos, 2); return Int(bytes[pos]) | Int(bytes[pos + 1]) << 8 }
    func u32(_ pos: Int) throws -> UInt32 {
        try check(pos, 4)
        return UInt32(bytes[pos]) | UInt32(bytes[pos + 1]) << 8 | UInt32(bytes[pos + 2]) << 16 | UInt32(bytes[pos + 3]) << 24
    }
    func i32(_ pos: Int) throws -> Int32 { Int32(bitPattern: try u32(pos)) }
    func i64(_ pos: Int) throws -> Int64 { try check(pos, 8); return le64(bytes, pos) }

    /// The root table of a flatbuffer that starts at `start`.
    func root(at start: Int, limit: Int) throws -> Table {
        let rel = Int(try u32(start))
        guard rel < limit - start else { throw corrupt("flatbuffer root offset is out of bounds") }
        return try table(at: start + rel)
    }

    func table(at pos: Int) throws -> Table {
        let vt = pos - Int(try i32(pos))
        let size = try u16(vt)
        guard size >= 4, size % 2 == 0 else { throw corrupt("flatbuffer vtable size \(size) is invalid") }
        try check(vt, size)
        return Table(pos: pos, vtable: vt, vtableSize: size)
    }

    /// Position of field `index` in the table, or nil when absent.
    func field(_ t: Table, _ index: Int) throws -> Int? {
        let slot = 4 + 2 * index
        guard slot + 2 <= t.vtableSize else { return nil }
        let off = try u16(t.vtable + slot)
        return off == 0 ? nil : t.pos + off
    }

    func u8(_ t: Table, field index: Int) throws -> UInt8? { try field(t, index).map { try u8($0) } }
    func i64(_ t: Table, field index: Int) throws -> Int64? { try field(t, index).map { try i64($0) } }

    func table(_ t: Table, field index: Int) throws -> Table? {
        guard let p = try field(t, index) else { return nil }
        return try table(at: p + Int(try u32(p)))
    }

    func vector(_ t: Table, field index: Int, elementSize: Int) throws -> Vector? {
        guard let p = try field(t, index) else { return nil }
        let v = p + Int(try u32(p))
        let count = Int(try u32(v))
        guard count <= (bytes.count - v - 4) / elementSize else { throw corrupt("flatbuffer vector of \(count) elements overruns the file") }
        return Vector(start: v + 4, count: count)
    }
}
