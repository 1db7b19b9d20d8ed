import LanceArrow
import LanceCore
import LanceProto

/// Read of a row range of a fixed-width column (a primitive, or a fixed-size list of them, e.g. an
/// embedding) whose pages are full-zip without control words: no repetition and no nulls at any
/// level, so a page's values lie back to back and rows `lo..<hi` are one byte range of it.
///
/// The general path reads that range, copies the values out of the zipped rows, and copies them
/// again into the Arrow buffer. Here the range is read straight into the buffer of the result: one
/// copy, from the file. Exact vector search reads every vector this way.
enum FullZipFixedRead {
    /// The array of `field` for the page-relative row ranges `parts` (consecutive in the file, in
    /// order), or nil when a page or the type does not qualify (the general path then decodes it).
    static func read(_ file: LanceFileReader, field: LanceField, parts: [(page: V21Page, rows: Range<Int>)],
                     count: Int) async throws -> ArrayData? {
        guard let shape = try qualifies(field: field, parts: parts, count: count) else { return nil }
        let valueBytes = shape.valueBytes
        let values: Buffer
        if parts.count == 1 {
            let p = parts[0]
            values = try await p.page.read(file, buffer: 0, p.rows.lowerBound * valueBytes, p.rows.count * valueBytes)
        } else {
            // Several pages: each page's bytes straight into their place in one buffer where the object
            // reads into a caller's memory (a local file), else read per page and copied together.
            let ranges = fileRanges(parts, valueBytes: valueBytes)
            var direct = true
            let joined = try Buffer(uninitializedCount: count * valueBytes) { out in
                var at = 0
                for r in ranges {
                    let n = Int(r.count)
                    guard try file.object.read(r, into: UnsafeMutableRawBufferPointer(rebasing: out[at ..< at + n])) else {
                        direct = false
                        return
                    }
                    at += n
                }
            }
            if direct {
                values = joined
            } else {
                var pieces: [Buffer] = []
                for r in ranges { pieces.append(try await file.read(offset: r.lowerBound, size: UInt64(r.count))) }
                values = Buffer(uninitializedCount: count * valueBytes) { out in
                    var at = 0
                    for piece in pieces {
                        piece.withUnsafeBytes { src in
                            if src.count > 0 { (out.baseAddress! + at).copyMemory(from: src.baseAddress!, byteCount: src.count) }
                        }
                        at += piece.count
                    }
                }
            }
        }
        guard values.count == count * valueBytes else {
            throw LanceError.corrupt("read \(values.count) bytes for \(count) values of \(valueBytes) bytes")
        }
        return shape.array(values, count: count)
    }

    /// The shape of `field` when every page of `parts` stores it as plain back-to-back values
    /// (checked against the page's data buffer), else nil.
    static func qualifies(field: LanceField, parts: [(page: V21Page, rows: Range<Int>)], count: Int) throws -> Shape? {
        guard let shape = Shape(field.type), !parts.isEmpty,
              parts.reduce(0, { $0 + $1.rows.count }) == count else { return nil }
        let valueBytes = shape.valueBytes
        for part in parts {
            guard case .fullZipLayout(let z)? = part.page.layout.layout, z.bitsRep == 0, z.bitsDef == 0,
                  case .bitsPerValue(let bits)? = z.details, Int(bits) == valueBytes * 8,
                  shape.matches(z.valueCompression, bits: Int(bits)) else { return nil }
            guard part.rows.lowerBound >= 0, part.rows.upperBound <= part.page.rows else {
                throw LanceError.corrupt("rows \(part.rows) outside \(part.page.label) of \(part.page.rows) rows")
            }
            let (need, overflow) = UInt64(part.page.rows).multipliedReportingOverflow(by: UInt64(valueBytes))
            guard !overflow, let size = part.page.sizes.first, need <= size else {
                throw LanceError.corrupt("\(part.page.label): \(part.page.rows) values of \(valueBytes) bytes exceed its data buffer")
            }
        }
        return shape
    }

    /// Where the values of rows `rows` of a top-level fixed-width `field` lie in the file: absolute
    /// byte ranges, in row order, and the bytes of one value; nil when the column does not qualify
    /// (2.0 file, nulls, compression, mini-block pages). For callers that read the raw values into
    /// a buffer of their own (exact vector search).
    static func fileRanges(_ file: LanceFileReader, field: LanceField, column: Int,
                           rows: Range<Int>) throws -> (ranges: [Range<UInt64>], valueBytes: Int)? {
        guard file.version != .v2_0, !rows.isEmpty, rows.lowerBound >= 0, rows.upperBound <= Int(file.rowCount) else { return nil }
        let pages = try V21Pages.pages(file, column: column)
        var parts: [(page: V21Page, rows: Range<Int>)] = []
        for p in pages where p.firstRow < rows.upperBound && p.firstRow + p.rows > rows.lowerBound {
            parts.append((p, max(rows.lowerBound, p.firstRow) - p.firstRow ..< min(rows.upperBound, p.firstRow + p.rows) - p.firstRow))
        }
        guard let shape = try qualifies(field: field, parts: parts, count: rows.count) else { return nil }
        return (fileRanges(parts, valueBytes: shape.valueBytes), shape.valueBytes)
    }

    /// The absolute byte ranges of the values of `parts` (pages already checked by ``qualifies``).
    static func fileRanges(_ parts: [(page: V21Page, rows: Range<Int>)], valueBytes: Int) -> [Range<UInt64>] {
        let vb = UInt64(valueBytes)
        return parts.map { p -> Range<UInt64> in
            let start = p.page.offsets[0] + UInt64(p.rows.lowerBound) * vb
            return start ..< start + UInt64(p.rows.count) * vb
        }
    }

    /// A fixed-width type: list sizes (outermost first) over a primitive item.
    struct Shape {
        let type: DataType
        let dims: [Int]
        let item: DataType
        let itemBytes: Int

        init?(_ type: DataType) {
            var dims: [Int] = []
            var t = type
            while case .fixedSizeList(let f, let n) = t {
                guard n > 0 else { return nil }
                dims.append(n)
                t = f.type
            }
            switch t {
            case .int8, .uint8, .int16, .uint16, .int32, .uint32, .int64, .uint64, .float16, .float32, .float64:
                guard let w = t.byteWidth else { return nil }
                itemBytes = w
            default: return nil
            }
            self.type = type
            self.dims = dims
            item = t
        }

        var itemsPerValue: Int { dims.reduce(1, *) }
        var valueBytes: Int { itemsPerValue * itemBytes }

        /// Whether the page's value compression stores this shape as plain items, without validity.
        func matches(_ enc: Lance_Encodings21_CompressiveEncoding, bits: Int) -> Bool {
            var e = enc
            var level = 0
            while case .fixedSizeList(let f)? = e.compression {
                guard level < dims.count, Int(f.itemsPerValue) == dims[level], !f.hasValidity_p else { return false }
                e = f.values
                level += 1
            }
            guard level == dims.count, case .flat(let flat)? = e.compression else { return false }
            return Int(flat.bitsPerValue) == (dims.isEmpty ? bits : itemBytes * 8)
        }

        /// The Arrow array over `values` (`count` rows), sharing the buffer.
        func array(_ values: Buffer, count: Int) -> ArrayData {
            func build(_ t: DataType, level: Int, rows: Int) -> ArrayData {
                guard case .fixedSizeList(let f, let n) = t else {
                    return ArrayData(type: t, count: rows, buffers: [values])
                }
                return ArrayData(type: t, count: rows, children: [build(f.type, level: level + 1, rows: rows * n)])
            }
            return build(type, level: 0, rows: count)
        }
    }
}
