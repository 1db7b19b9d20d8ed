import LanceArrow
import LanceCore

/// JSON lines for record batches, with direct byte writers for flat column types and the shared
/// renderer (`ArrayData.jsonValue(at:)`) for everything else. Both produce the same text; the
/// direct path only avoids building a `JSONValue` per value, which dominates large scans.
enum FastJSON {
    static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends every row of `batch` as one JSON object per line.
    static func writeLines(_ batch: RecordBatch, into out: inout [UInt8]) throws {
        let keys: [[UInt8]] = batch.schema.fields.enumerated().map { k, f in
            var p: [UInt8] = [k == 0 ? 0x7B : 0x2C]
            writeString(f.name, into: &p)
            p.append(0x3A)
            return p
        }
        let columns = batch.columns
        for i in 0 ..< batch.count {
            if columns.isEmpty { out.append(0x7B) }
            for k in columns.indices {
                out.append(contentsOf: keys[k])
                do {
                    try writeValue(columns[k], i, into: &out)
                } catch let e as LanceError {
                    throw e.at(column: batch.schema.fields[k].name)
                }
            }
            out.append(0x7D)
            out.append(0x0A)
        }
    }

    @inline(__always)
    static func writeInt(_ v: Int64, into out: inout [UInt8]) {
        if v >= 0 && v < 10 { out.append(0x30 + UInt8(v)) } else { out.append(contentsOf: String(v).utf8) }
    }

    static func writeValue(_ a: ArrayData, _ i: Int, into out: inout [UInt8]) throws {
        switch a.type {
        case .bool, .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64, .float32, .float64,
             .date32, .date64, .timestamp, .utf8, .largeUtf8:
            break
        default:
            try a.jsonValue(at: i).write(to: &out)
            return
        }
        if a.isNull(i) {
            out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])  // null
            return
        }
        let b = a.buffers[0]
        switch a.type {
        case .bool: out.append(contentsOf: (a.boolValue(i) ? "true" : "false").utf8)
        case .int8: writeInt(Int64(b.load(Int8.self, at: i)), into: &out)
        case .int16: writeInt(Int64(b.load(Int16.self, at: i)), into: &out)
        case .int32, .date32: writeInt(Int64(b.load(Int32.self, at: i)), into: &out)
        case .int64, .date64, .timestamp: writeInt(b.load(Int64.self, at: i), into: &out)
        case .uint8: writeInt(Int64(b.load(UInt8.self, at: i)), into: &out)
        case .uint16: writeInt(Int64(b.load(UInt16.self, at: i)), into: &out)
        case .uint32: writeInt(Int64(b.load(UInt32.self, at: i)), into: &out)
        case .uint64: out.append(contentsOf: String(b.load(UInt64.self, at: i)).utf8)
        case .float32: writeDouble(Double(b.load(Float.self, at: i)), into: &out)
        case .float64: writeDouble(b.load(Double.self, at: i), into: &out)
        default:
            // utf8 / large_utf8: offsets are checked before the data is touched.
            let r = try stringRange(a, i)
            let s = a.buffers[1].slice(r).withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
            writeString(s, into: &out)
        }
    }

    static func stringRange(_ a: ArrayData, _ i: Int) throws -> Range<Int> {
        let w = a.type.hasLargeOffsets ? 8 : 4
        guard a.buffers.count >= 2, a.buffers[0].count >= (i + 2) * w else {
            throw LanceError.corrupt("\(a.type) array has too few offsets")
        }
        let lo: Int, hi: Int
        if w == 8 {
            lo = Int(a.buffers[0].load(Int64.self, at: i)); hi = Int(a.buffers[0].load(Int64.self, at: i + 1))
        } else {
            lo = Int(a.buffers[0].load(Int32.self, at: i)); hi = Int(a.buffers[0].load(Int32.self, at: i + 1))
        }
        guard lo >= 0, lo <= hi, hi <= a.buffers[1].count else {
            throw LanceError.corrupt("invalid string offsets \(lo)..<\(hi) for \(a.buffers[1].count) bytes")
        }
        return lo ..< hi
    }

    static func writeDouble(_ d: Double, into out: inout [UInt8]) {
        if d.isNaN {
            out.append(contentsOf: "\"NaN\"".utf8)
        } else if d.isInfinite {
            out.append(contentsOf: (d > 0 ? "\"Infinity\"" : "\"-Infinity\"").utf8)
        } else {
            out.append(contentsOf: d.description.utf8)
        }
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(0x22)
        for c in s.utf8 {
            switch c {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x0A: out.append(0x5C); out.append(0x6E)
            case 0x0D: out.append(0x5C); out.append(0x72)
            case 0x09: out.append(0x5C); out.append(0x74)
            case 0x08: out.append(0x5C); out.append(0x62)
            case 0x0C: out.append(0x5C); out.append(0x66)
            case 0 ..< 0x20:
                out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30])
                out.append(hexDigits[Int(c >> 4)])
                out.append(hexDigits[Int(c & 15)])
            default: out.append(c)
            }
        }
        out.append(0x22)
    }
}
