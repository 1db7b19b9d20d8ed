import LanceArrow
import LanceCore
import LanceKernels
import LanceProto

/// One page of a 2.0 column: where its buffers are, and the decoder for its encoding tree.
///
/// `decode` turns an `ArrayEncoding` node into an array of the requested type for page-local row
/// ranges (sorted, disjoint), fetching only the bytes those rows need where the encoding allows.
struct V20Page: Sendable {
    let file: LanceFileReader
    let column: Int
    let page: Int
    /// Rows in the page.
    let rows: Int
    let pageBuffers: [BufferLocation]
    let columnBuffers: [BufferLocation]

    static let maxDepth = 32
    /// Reads closer together than this are merged into one.
    static let coalesceGap = 16 * 1024

    func location(_ b: Lance_Encodings_Buffer) throws -> BufferLocation {
        let i = Int(b.bufferIndex)
        switch b.bufferType {
        case .page:
            guard i < pageBuffers.count else { throw LanceError.corrupt("page buffer \(i) does not exist (page has \(pageBuffers.count))") }
            return pageBuffers[i]
        case .column:
            guard i < columnBuffers.count else { throw LanceError.corrupt("column buffer \(i) does not exist (column has \(columnBuffers.count))") }
            return columnBuffers[i]
        case .file:
            guard i < file.globalBuffers.count else { throw LanceError.corrupt("file buffer \(i) does not exist (file has \(file.globalBuffers.count))") }
            return file.globalBuffers[i]
        case .UNRECOGNIZED(let v):
            throw LanceError.unsupported("buffer type \(v)")
        }
    }

    // MARK: Encoding tree

    func decode(_ enc: Lance_Encodings_ArrayEncoding, _ type: DataType, _ ranges: [Range<Int>], depth: Int) async throws -> ArrayData {
        guard depth < V20Page.maxDepth else { throw LanceError.corrupt("encoding tree nested deeper than \(V20Page.maxDepth)") }
        let count = V20Ranges.total(ranges)
        guard let kind = enc.arrayEncoding else { throw LanceError.corrupt("array encoding is empty") }
        switch kind {
        case .nullable(let n):
            switch n.nullability {
            case .noNulls(let nn)?:
                return try await decode(nn.values, type, ranges, depth: depth + 1)
            case .someNulls(let sn)?:
                let validity = try await decode(sn.validity, .bool, ranges, depth: depth + 1)
                let values = try await decode(sn.values, type, ranges, depth: depth + 1)
                guard validity.count == count, values.count == count else {
                    throw LanceError.corrupt("nullable values and validity have different lengths")
                }
                let bits = Bitmap(buffer: validity.buffers[0], offset: validity.boolOffset, count: count)
                return V20Arrays.withValidity(values, and: bits)
            case .allNulls?:
                return ArrayData.nulls(type, count: count)
            case nil:
                throw LanceError.corrupt("nullable encoding has no nullability")
            }
        case .flat(let flat):
            return try await decodeFlat(flat, type, ranges)
        case .fixedSizeList(let fsl):
            guard case .fixedSizeList(let item, let n) = type else {
                throw LanceError.corrupt("fixed_size_list encoding for a column of type \(type)")
            }
            guard Int(fsl.dimension) == n else {
                throw LanceError.corrupt("fixed_size_list dimension \(fsl.dimension) does not match the type's \(n)")
            }
            guard let itemRanges = V20Ranges.scaled(ranges, by: n) else { throw LanceError.corrupt("fixed_size_list range overflows") }
            let items = try await decode(fsl.items, item.type, itemRanges, depth: depth + 1)
            guard items.count == count * n else { throw LanceError.corrupt("fixed_size_list items decoded to \(items.count) values, expected \(count * n)") }
            return ArrayData(type: type, count: count, children: [items])
        case .binary(let bin):
            return try await decodeBinary(bin, type, ranges, depth: depth)
        case .dictionary(let dict):
            return try await decodeDictionary(dict, type, ranges, depth: depth)
        case .fsst(let fsst):
            return try await decodeFsst(fsst, type, ranges, depth: depth)
        case .packedStruct(let ps):
            return try await decodePackedStruct(ps, type, ranges)
        case .fixedSizeBinary(let fsb):
            guard type.isBinaryLike else { throw LanceError.corrupt("fixed_size_binary encoding for a column of type \(type)") }
            let w = Int(fsb.byteWidth)
            guard w > 0, let byteRanges = V20Ranges.scaled(ranges, by: w) else { throw LanceError.corrupt("invalid fixed_size_binary width \(fsb.byteWidth)") }
            let bytes = try await decode(fsb.bytes, .uint8, byteRanges, depth: depth + 1)
            guard bytes.count == count * w else { throw LanceError.corrupt("fixed_size_binary bytes decoded to \(bytes.count) bytes, expected \(count * w)") }
            let offsets = V20Arrays.offsetsBuffer(lengths: Array(repeating: w, count: count), large: type.hasLargeOffsets)
            return ArrayData(type: type, count: count, buffers: [offsets, bytes.buffers[0]])
        case .constant(let c):
            guard let w = type.byteWidth else { throw LanceError.unsupported("constant encoding for type \(type)") }
            guard c.value.count == w else { throw LanceError.corrupt("constant value has \(c.value.count) bytes, type \(type) needs \(w)") }
            let value = [UInt8](c.value)
            let buf = Buffer(count: count * w) { out in
                for i in 0 ..< count { for j in 0 ..< w { out[i * w + j] = value[j] } }
            }
            return ArrayData(type: type, count: count, buffers: [buf])
        case .struct:
            throw LanceError.corrupt("a struct header encoding where values were expected")
        case .list:
            if type.isBinaryLike {
                throw LanceError.unsupported("binary stored as a list of bytes (an early 2.0 layout) is not supported")
            }
            throw LanceError.corrupt("a list encoding where values were expected (type \(type))")
        case .bitpacked: throw LanceError.unsupported("2.0 encoding `bitpacked` is not supported")
        case .bitpackedForNonNeg: throw LanceError.unsupported("2.0 encoding `bitpacked_for_non_neg` is not supported")
        case .inlineBitpacking: throw LanceError.unsupported("encoding `inline_bitpacking` is not valid in a 2.0 page")
        case .outOfLineBitpacking: throw LanceError.unsupported("encoding `out_of_line_bitpacking` is not valid in a 2.0 page")
        case .variable: throw LanceError.unsupported("encoding `variable` is not valid in a 2.0 page")
        case .packedStructFixedWidthMiniBlock: throw LanceError.unsupported("encoding `packed_struct_fixed_width_mini_block` is not valid in a 2.0 page")
        case .block: throw LanceError.unsupported("encoding `block` is not valid in a 2.0 page")
        case .rle: throw LanceError.unsupported("encoding `rle` is not valid in a 2.0 page")
        case .generalMiniBlock: throw LanceError.unsupported("encoding `general_mini_block` is not valid in a 2.0 page")
        case .byteStreamSplit: throw LanceError.unsupported("encoding `byte_stream_split` is not valid in a 2.0 page")
        }
    }

    // MARK: Flat

    private func decodeFlat(_ flat: Lance_Encodings_Flat, _ type: DataType, _ ranges: [Range<Int>]) async throws -> ArrayData {
        let count = V20Ranges.total(ranges)
        guard flat.hasBuffer else { throw LanceError.corrupt("flat encoding without a buffer") }
        let loc = try location(flat.buffer)
        let bpv = flat.bitsPerValue
        if bpv == 1 {
            guard type == .bool else { throw LanceError.corrupt("1-bit flat values for a column of type \(type)") }
            let bits: Buffer
            if flat.hasCompression && flat.compression.scheme != "none" && !flat.compression.scheme.isEmpty {
                let all = try await decompressed(flat.compression, loc)
                bits = try V20Arrays.gatherBits(all, ranges)
            } else {
                bits = try await readBits(loc, ranges)
            }
            return ArrayData(type: .bool, count: count, buffers: [bits])
        }
        guard bpv % 8 == 0, bpv > 0, bpv <= 1 << 24 else {
            throw LanceError.unsupported("flat encoding with \(bpv) bits per value")
        }
        let w = Int(bpv / 8)
        let outType: DataType
        if let tw = type.byteWidth {
            guard tw == w else { throw LanceError.corrupt("flat values are \(w) bytes wide but type \(type) needs \(tw)") }
            outType = type
        } else if case .fixedSizeList = type, let flatWidth = V20Arrays.flatWidth(type), flatWidth == w {
            outType = type
        } else {
            throw LanceError.corrupt("flat values of \(w) bytes for a column of type \(type)")
        }
        guard let byteRanges = V20Ranges.scaled(ranges, by: w) else { throw LanceError.corrupt("flat range overflows") }
        let bytes: Buffer
        if flat.hasCompression && flat.compression.scheme != "none" && !flat.compression.scheme.isEmpty {
            let all = try await decompressed(flat.compression, loc)
            bytes = try V20Arrays.gather(all, byteRanges)
        } else {
            bytes = try await readBytes(loc, byteRanges)
        }
        return V20Arrays.fixedWidth(outType, bytes, count: count)
    }

    /// Reads and decompresses a whole block-compressed buffer.
    private func decompressed(_ c: Lance_Encodings_Compression, _ loc: BufferLocation) async throws -> Buffer {
        let raw = try await file.read(offset: loc.offset, size: loc.size)
        return try V20Compression.decompress(scheme: c.scheme, raw)
    }

    // MARK: Binary

    private func decodeBinary(_ bin: Lance_Encodings_Binary, _ type: DataType, _ ranges: [Range<Int>], depth: Int) async throws -> ArrayData {
        guard type.isBinaryLike else { throw LanceError.corrupt("binary encoding for a column of type \(type)") }
        let ext = ranges.map { $0.lowerBound > 0 ? $0.lowerBound - 1 ..< $0.upperBound : $0 }
        let indices = try await decode(bin.indices, .uint64, ext, depth: depth + 1)
        guard indices.count == V20Ranges.total(ext) else { throw LanceError.corrupt("binary indices decoded to \(indices.count) values, expected \(V20Ranges.total(ext))") }
        guard bin.nullAdjustment > 0, bin.nullAdjustment <= UInt64(Int.max / 4) else {
            throw LanceError.corrupt("binary null adjustment \(bin.nullAdjustment) is invalid")
        }
        let adj = Int(bin.nullAdjustment)
        let raw = indices.buffers[0]
        var lengths: [Int] = []
        lengths.reserveCapacity(V20Ranges.total(ranges))
        var valid: [Bool] = []
        valid.reserveCapacity(lengths.capacity)
        var byteRanges: [Range<Int>] = []
        var k = 0
        for (r, e) in zip(ranges, ext) {
            var prev = 0
            if e.lowerBound < r.lowerBound {
                prev = try V20Arrays.normalize(raw.load(UInt64.self, at: k), adj, limit: adj - 1, what: "string offset", column, page)
                k += 1
            }
            let start = prev
            for _ in r {
                let v = raw.load(UInt64.self, at: k)
                k += 1
                let end = try V20Arrays.normalize(v, adj, limit: adj - 1, what: "string offset", column, page)
                guard end >= prev else { throw LanceError.corrupt("string offsets decrease (\(prev) then \(end))") }
                lengths.append(end - prev)
                valid.append(v < UInt64(adj))
                prev = end
            }
            V20Ranges.append(start ..< prev, to: &byteRanges)
        }
        let totalBytes = lengths.reduce(0, +)
        let data: Buffer
        if totalBytes == 0 {
            data = .empty
        } else {
            let bytes = try await decode(bin.bytes, .uint8, byteRanges, depth: depth + 1)
            guard bytes.count == totalBytes else { throw LanceError.corrupt("binary bytes decoded to \(bytes.count) bytes, expected \(totalBytes)") }
            data = bytes.buffers[0]
        }
        guard type.hasLargeOffsets || totalBytes <= Int(Int32.max) else {
            throw LanceError.unsupported("more than 2 GiB of string data in one read of a 32-bit-offset column")
        }
        let offsets = V20Arrays.offsetsBuffer(lengths: lengths, large: type.hasLargeOffsets)
        return ArrayData(type: type, count: lengths.count, validity: valid.contains(false) ? Bitmap(valid) : nil,
                         buffers: [offsets, data])
    }

    // MARK: FSST

    private func decodeFsst(_ fsst: Lance_Encodings_Fsst, _ type: DataType, _ ranges: [Range<Int>], depth: Int) async throws -> ArrayData {
        guard type.isBinaryLike else { throw LanceError.corrupt("fsst encoding for a column of type \(type)") }
        let compressed = try await decode(fsst.binary, .largeBinary, ranges, depth: depth + 1)
        var offsets: [Int] = []
        offsets.reserveCapacity(compressed.count + 1)
        for i in 0 ..< compressed.count {
            let r = compressed.valueRange(i)
            if i == 0 { offsets.append(r.lowerBound) }
            offsets.append(r.upperBound)
        }
        if offsets.isEmpty { offsets = [0] }
        let table = [UInt8](fsst.symbolTable)
        let result: (offsets: [Int], bytes: [UInt8])
        do {
            result = try table.withUnsafeBytes { st in
                try compressed.buffers[1].withUnsafeBytes { data in
                    try FSST.decompress(symbolTable: st, compressed: data, offsets: offsets)
                }
            }
        } catch let e as CodecError {
            if e.kind == .unsupported { throw LanceError.unsupported("fsst: \(e)") }
            throw LanceError.corrupt("fsst data does not decode: \(e)")
        }
        guard result.offsets.count == compressed.count + 1, let first = result.offsets.first, let last = result.offsets.last,
              first >= 0, first <= last, last <= result.bytes.count else { throw LanceError.corrupt("fsst decoded \(result.offsets.count - 1) strings, expected \(compressed.count)") }
        guard type.hasLargeOffsets || result.bytes.count <= Int(Int32.max) else {
            throw LanceError.unsupported("more than 2 GiB of string data in one read of a 32-bit-offset column")
        }
        var lengths: [Int] = []
        lengths.reserveCapacity(compressed.count)
        for i in 0 ..< compressed.count {
            let len = result.offsets[i + 1] - result.offsets[i]
            guard len >= 0 else { throw LanceError.corrupt("fsst output offsets decrease") }
            lengths.append(len)
        }
        let data = Buffer(result.bytes).slice(result.offsets[0], result.offsets[compressed.count] - result.offsets[0])
        return ArrayData(type: type, count: compressed.count, validity: compressed.validity,
                         buffers: [V20Arrays.offsetsBuffer(lengths: lengths, large: type.hasLargeOffsets), data])
    }

    // MARK: Dictionary

    private func decodeDictionary(_ dict: Lance_Encodings_Dictionary, _ type: DataType, _ ranges: [Range<Int>], depth: Int) async throws -> ArrayData {
        let n = Int(dict.numDictionaryItems)
        let count = V20Ranges.total(ranges)
        if case .dictionary(let indexType, let valueType) = type {
            // Data that arrived as an Arrow dictionary: 0-based indices of the key type.
            let items = try await decode(dict.items, valueType, n > 0 ? [0 ..< n] : [], depth: depth + 1)
            guard items.count == n else { throw LanceError.corrupt("dictionary decoded \(items.count) items, expected \(n)") }
            let indices = try await decode(dict.indices, indexType, ranges, depth: depth + 1)
            guard indices.count == count else { throw LanceError.corrupt("dictionary indices decoded to \(indices.count) values, expected \(count)") }
            var valid = [Bool](repeating: true, count: count)
            var anyNull = false
            for i in 0 ..< count {
                if indices.isNull(i) { valid[i] = false; anyNull = true; continue }
                let k = V20Arrays.intValue(indices, i)
                guard k >= 0 && k < n else { throw LanceError.corrupt("dictionary index \(k) out of range (\(n) items)") }
                if items.isNull(k) { valid[i] = false; anyNull = true }
            }
            return ArrayData(type: type, count: count, validity: anyNull ? Bitmap(valid) : nil,
                             buffers: indices.buffers, dictionary: items)
        }
        // Strings dictionary-encoded by the writer: indices start at 1, 0 means null.
        guard type.isBinaryLike else { throw LanceError.corrupt("dictionary encoding for a column of type \(type)") }
        let items = try await decode(dict.items, type, n > 0 ? [0 ..< n] : [], depth: depth + 1)
        guard items.count == n else { throw LanceError.corrupt("dictionary decoded \(items.count) items, expected \(n)") }
        let bits = V20Arrays.innerFlatBits(dict.indices) ?? 8
        let indexType: DataType
        switch bits {
        case 8: indexType = .uint8
        case 16: indexType = .uint16
        case 32: indexType = .uint32
        case 64: indexType = .uint64
        default: throw LanceError.unsupported("dictionary indices of \(bits) bits")
        }
        let indices = try await decode(dict.indices, indexType, ranges, depth: depth + 1)
        guard indices.count == count else { throw LanceError.corrupt("dictionary indices decoded to \(indices.count) values, expected \(count)") }
        var lengths: [Int] = []
        lengths.reserveCapacity(count)
        var valid = [Bool](repeating: true, count: count)
        var picks: [Range<Int>] = []
        picks.reserveCapacity(count)
        for i in 0 ..< count {
            let k = indices.isNull(i) ? 0 : V20Arrays.intValue(indices, i)
            guard k >= 0 && k <= n else { throw LanceError.corrupt("dictionary index \(k) out of range (\(n) items)") }
            if k == 0 || items.isNull(k - 1) {
                valid[i] = false
                lengths.append(0)
                picks.append(0 ..< 0)
            } else {
                let r = items.valueRange(k - 1)
                lengths.append(r.count)
                picks.append(r)
            }
        }
        let total = lengths.reduce(0, +)
        guard type.hasLargeOffsets || total <= Int(Int32.max) else {
            throw LanceError.unsupported("more than 2 GiB of string data in one read of a 32-bit-offset column")
        }
        let src = items.buffers[1]
        let data = Buffer(count: total) { out in
            src.withUnsafeBytes { s in
                var o = 0
                for r in picks where !r.isEmpty {
                    out.baseAddress!.advanced(by: o).copyMemory(from: s.baseAddress!.advanced(by: r.lowerBound), byteCount: r.count)
                    o += r.count
                }
            }
        }
        return ArrayData(type: type, count: count, validity: valid.contains(false) ? Bitmap(valid) : nil,
                         buffers: [V20Arrays.offsetsBuffer(lengths: lengths, large: type.hasLargeOffsets), data])
    }

    // MARK: Packed struct

    private func decodePackedStruct(_ ps: Lance_Encodings_PackedStruct, _ type: DataType, _ ranges: [Range<Int>]) async throws -> ArrayData {
        guard case .struct(let fields) = type else { throw LanceError.corrupt("packed_struct encoding for a column of type \(type)") }
        var widths: [Int] = []
        for f in fields {
            guard let w = V20Arrays.flatWidth(f.type) else {
                throw LanceError.unsupported("packed struct member `\(f.name)` of type \(f.type) is not fixed-width")
            }
            widths.append(w)
        }
        let rowWidth = widths.reduce(0, +)
        let count = V20Ranges.total(ranges)
        guard ps.hasBuffer else { throw LanceError.corrupt("packed_struct encoding without a buffer") }
        let loc = try location(ps.buffer)
        guard rowWidth > 0, let byteRanges = V20Ranges.scaled(ranges, by: rowWidth) else {
            return ArrayData(type: type, count: count, children: fields.map { V20Arrays.fixedWidth($0.type, Buffer(zeroed: 0), count: 0) })
        }
        let rows = try await readBytes(loc, byteRanges)
        var children: [ArrayData] = []
        var start = 0
        for (f, w) in zip(fields, widths) {
            let col = Buffer(count: count * w) { out in
                rows.withUnsafeBytes { src in
                    for i in 0 ..< count {
                        out.baseAddress!.advanced(by: i * w).copyMemory(from: src.baseAddress!.advanced(by: i * rowWidth + start), byteCount: w)
                    }
                }
            }
            children.append(V20Arrays.fixedWidth(f.type, col, count: count))
            start += w
        }
        return ArrayData(type: type, count: count, children: children)
    }

    // MARK: I/O

    /// The bytes of `ranges` (relative to the buffer) concatenated, reading merged spans.
    func readBytes(_ loc: BufferLocation, _ ranges: [Range<Int>]) async throws -> Buffer {
        let nonEmpty = ranges.filter { !$0.isEmpty }
        if nonEmpty.isEmpty { return .empty }
        guard let last = nonEmpty.last, last.upperBound <= loc.size, nonEmpty[0].lowerBound >= 0 else {
            throw LanceError.corrupt("values \(nonEmpty[0].lowerBound)..<\(nonEmpty.last!.upperBound) lie outside a buffer of \(loc.size) bytes")
        }
        // Merge spans that are close together into one read each.
        var spans: [Range<Int>] = []
        for r in nonEmpty {
            if let s = spans.last, r.lowerBound - s.upperBound <= V20Page.coalesceGap {
                spans[spans.count - 1] = s.lowerBound ..< max(s.upperBound, r.upperBound)
            } else {
                spans.append(r)
            }
        }
        var reads: [Buffer] = []
        for s in spans {
            reads.append(try await file.read(offset: loc.offset + UInt64(s.lowerBound), size: UInt64(s.count)))
        }
        if nonEmpty.count == 1 { return reads[0] }
        let total = V20Ranges.total(nonEmpty)
        return Buffer(count: total) { out in
            var o = 0, si = 0
            for r in nonEmpty {
                while spans[si].upperBound < r.upperBound { si += 1 }
                reads[si].withUnsafeBytes { src in
                    out.baseAddress!.advanced(by: o).copyMemory(from: src.baseAddress!.advanced(by: r.lowerBound - spans[si].lowerBound), byteCount: r.count)
                }
                o += r.count
            }
        }
    }

    /// The bits of `ranges` packed LSB-first from bit 0.
    func readBits(_ loc: BufferLocation, _ ranges: [Range<Int>]) async throws -> Buffer {
        let byteRanges = ranges.map { ($0.lowerBound >> 3) ..< (($0.upperBound + 7) >> 3) }
        var merged: [Range<Int>] = []
        for r in byteRanges {
            if let l = merged.last, r.lowerBound <= l.upperBound {
                merged[merged.count - 1] = l.lowerBound ..< max(l.upperBound, r.upperBound)
            } else {
                merged.append(r)
            }
        }
        let bytes = try await readBytes(loc, merged)
        // Map the requested bit ranges into the concatenated merged bytes.
        var remapped: [Range<Int>] = []
        var base = 0, mi = 0
        for r in ranges {
            while (r.lowerBound >> 3) >= merged[mi].upperBound { base += merged[mi].count; mi += 1 }
            let shift = base * 8 - merged[mi].lowerBound * 8
            remapped.append(r.lowerBound + shift ..< r.upperBound + shift)
        }
        return try V20Arrays.gatherBits(bytes, remapped)
    }
}

/// Block compression of 2.0 flat buffers (`Flat.compression`).
enum V20Compression {
    static func decompress(scheme: String, _ raw: Buffer) throws -> Buffer {
        do {
            switch scheme {
            case "zstd":
                if raw.count == 0 { return .empty }
                return try raw.withUnsafeBytes { r throws -> Buffer in
                    // Either a bare zstd frame or a u64 length prefix followed by a frame.
                    let magic: UInt32 = 0xFD2F_B528
                    if r.count < 8 || (r.loadUnaligned(as: UInt32.self) == magic && r[4] & 0x10 == 0) {
                        return Buffer(try Zstd.decompress(r))
                    }
                    let n = r.loadUnaligned(as: UInt64.self)
                    guard n <= 1 << 34 else { throw LanceError.corrupt("zstd buffer claims \(n) bytes") }
                    let out = try Zstd.decompress(UnsafeRawBufferPointer(rebasing: r[8...]), limit: Int(n))
                    guard out.count == Int(n) else { throw LanceError.corrupt("zstd buffer decompressed to \(out.count) bytes, expected \(n)") }
                    return Buffer(out)
                }
            case "lz4":
                return try raw.withUnsafeBytes { r throws -> Buffer in
                    guard r.count >= 4 else { throw LanceError.corrupt("lz4 buffer shorter than its size prefix") }
                    let n = Int(r.loadUnaligned(as: UInt32.self))
                    // An LZ4 block expands at most ~255x; a larger claim is corrupt.
                    guard n <= (r.count - 4) * 255 + 64 else { throw LanceError.corrupt("lz4 buffer claims \(n) bytes from \(r.count - 4)") }
                    return Buffer(try LZ4.decompressBlock(UnsafeRawBufferPointer(rebasing: r[4...]), decompressedSize: n))
                }
            default:
                throw LanceError.unsupported("flat buffer compression `\(scheme)`")
            }
        } catch let e as CodecError {
            if e.kind == .unsupported { throw LanceError.unsupported("\(scheme): \(e)") }
            throw LanceError.corrupt("\(scheme) buffer does not decompress: \(e)")
        }
    }
}

/// Small array builders and checks shared by the 2.0 decoders.
enum V20Arrays {
    /// Strips a null adjustment: values at or past `adj` are nulls whose real value is `v - adj`.
    static func normalize(_ v: UInt64, _ adj: Int, limit: Int, what: String, _ col: Int, _ page: Int) throws -> Int {
        let a = UInt64(adj)
        let real = v >= a ? v - a : v
        guard real <= UInt64(limit) else {
            throw LanceError.corrupt("\(what) \(v) exceeds the page's range (adjustment \(adj), limit \(limit))")
        }
        return Int(real)
    }

    /// An offsets buffer (Int32 or Int64, count + 1 entries) from value lengths.
    static func offsetsBuffer(lengths: [Int], large: Bool) -> Buffer {
        let n = lengths.count
        if large {
            return Buffer(count: 8 * (n + 1)) { out in
                var o = 0
                out.storeBytes(of: Int64(0), toByteOffset: 0, as: Int64.self)
                for i in 0 ..< n { o += lengths[i]; out.storeBytes(of: Int64(o), toByteOffset: 8 * (i + 1), as: Int64.self) }
            }
        }
        return Buffer(count: 4 * (n + 1)) { out in
            var o = 0
            out.storeBytes(of: Int32(0), toByteOffset: 0, as: Int32.self)
            for i in 0 ..< n { o += lengths[i]; out.storeBytes(of: Int32(truncatingIfNeeded: o), toByteOffset: 4 * (i + 1), as: Int32.self) }
        }
    }

    /// Width in bytes of a fixed-width type, flattening fixed-size lists of fixed-width items.
    static func flatWidth(_ type: DataType) -> Int? {
        if let w = type.byteWidth { return w }
        if case .fixedSizeList(let f, let n) = type, let w = flatWidth(f.type) { return w * n }
        return nil
    }

    /// An array of a fixed-width type (or fixed-size list of one) over `bytes`.
    static func fixedWidth(_ type: DataType, _ bytes: Buffer, count: Int) -> ArrayData {
        if case .fixedSizeList(let f, let n) = type {
            return ArrayData(type: type, count: count, children: [fixedWidth(f.type, bytes, count: count * n)])
        }
        return ArrayData(type: type, count: count, buffers: [bytes])
    }

    /// `a` with its validity intersected with `bits`.
    static func withValidity(_ a: ArrayData, and bits: Bitmap) -> ArrayData {
        var v = bits
        if let old = a.validity {
            v = Bitmap((0 ..< a.count).lazy.map { old[$0] && bits[$0] })
        }
        let validity: Bitmap? = v.setCount == a.count ? nil : v
        return ArrayData(type: a.type, count: a.count, validity: validity, buffers: a.buffers,
                         children: a.children, dictionary: a.dictionary, boolOffset: a.boolOffset)
    }

    /// The i-th value of an integer array as Int (unsigned 64-bit values past Int.max map to -1).
    static func intValue(_ a: ArrayData, _ i: Int) -> Int {
        let b = a.buffers[0]
        switch a.type {
        case .int8: return Int(b.load(Int8.self, at: i))
        case .int16: return Int(b.load(Int16.self, at: i))
        case .int32: return Int(b.load(Int32.self, at: i))
        case .int64: return Int(b.load(Int64.self, at: i))
        case .uint8: return Int(b.load(UInt8.self, at: i))
        case .uint16: return Int(b.load(UInt16.self, at: i))
        case .uint32: return Int(b.load(UInt32.self, at: i))
        case .uint64: let v = b.load(UInt64.self, at: i); return v > UInt64(Int.max) ? -1 : Int(v)
        default: return -1
        }
    }

    /// Bits per value of the flat encoding under Nullable wrappers, if that is what `enc` is.
    static func innerFlatBits(_ enc: Lance_Encodings_ArrayEncoding) -> UInt64? {
        switch enc.arrayEncoding {
        case .flat(let f)?: return f.bitsPerValue
        case .nullable(let n)?:
            switch n.nullability {
            case .noNulls(let nn)?: return innerFlatBits(nn.values)
            case .someNulls(let sn)?: return innerFlatBits(sn.values)
            default: return nil
            }
        default: return nil
        }
    }

    /// Concatenated byte ranges of an in-memory buffer.
    static func gather(_ all: Buffer, _ ranges: [Range<Int>]) throws -> Buffer {
        if let last = ranges.last, last.upperBound > all.count {
            throw LanceError.corrupt("values up to byte \(last.upperBound) lie outside a decompressed buffer of \(all.count) bytes")
        }
        if ranges.count == 1 { return all.slice(ranges[0]) }
        let total = V20Ranges.total(ranges)
        return Buffer(count: total) { out in
            all.withUnsafeBytes { src in
                var o = 0
                for r in ranges where !r.isEmpty {
                    out.baseAddress!.advanced(by: o).copyMemory(from: src.baseAddress!.advanced(by: r.lowerBound), byteCount: r.count)
                    o += r.count
                }
            }
        }
    }

    /// Concatenated bit ranges of a bitmap buffer, packed from bit 0.
    static func gatherBits(_ all: Buffer, _ ranges: [Range<Int>]) throws -> Buffer {
        if let last = ranges.last, (last.upperBound + 7) / 8 > all.count {
            throw LanceError.corrupt("bits up to \(last.upperBound) lie outside a bitmap of \(all.count) bytes")
        }
        if ranges.count == 1 && ranges[0].lowerBound % 8 == 0 {
            let r = ranges[0]
            return all.slice(r.lowerBound / 8, (r.count + 7) / 8)
        }
        let total = V20Ranges.total(ranges)
        return Buffer(count: (total + 7) / 8) { out in
            all.withUnsafeBytes { src in
                var o = 0
                for r in ranges {
                    for b in r {
                        if src[b >> 3] & UInt8(1 << (b & 7)) != 0 { out[o >> 3] |= UInt8(1 << (o & 7)) }
                        o += 1
                    }
                }
            }
        }
    }

    /// Concatenates page results; fixed-width values (and fixed-size lists of them) are copied with
    /// one allocation, everything else goes through `ArrayData.concat`.
    static func concat(_ parts: [ArrayData]) -> ArrayData {
        if parts.count == 1 { return parts[0] }
        let type = parts[0].type
        let total = parts.reduce(0) { $0 + $1.count }
        let validity: Bitmap? = parts.contains { $0.validity != nil } ? concatValidity(parts, total) : nil
        switch type {
        case .fixedSizeList:
            let child = concat(parts.map { $0.children[0] })
            return ArrayData(type: type, count: total, validity: validity, children: [child])
        default:
            guard let w = type.byteWidth else { return ArrayData.concat(parts) }
            let buf = Buffer(count: total * w) { out in
                var o = 0
                for a in parts {
                    let n = a.count * w
                    if n > 0 {
                        a.buffers[0].withUnsafeBytes { src in
                            out.baseAddress!.advanced(by: o).copyMemory(from: src.baseAddress!, byteCount: n)
                        }
                    }
                    o += n
                }
            }
            return ArrayData(type: type, count: total, validity: validity, buffers: [buf])
        }
    }

    private static func concatValidity(_ parts: [ArrayData], _ total: Int) -> Bitmap {
        let buf = Buffer(count: (total + 7) / 8) { out in
            var o = 0
            for a in parts {
                if let v = a.validity {
                    for i in 0 ..< a.count {
                        if v[i] { out[(o + i) >> 3] |= UInt8(1 << ((o + i) & 7)) }
                    }
                } else {
                    for i in 0 ..< a.count { out[(o + i) >> 3] |= UInt8(1 << ((o + i) & 7)) }
                }
                o += a.count
            }
        }
        return Bitmap(buffer: buf, offset: 0, count: total)
    }

    /// A zero-length array of `type` without validity.
    static func empty(_ type: DataType) -> ArrayData {
        switch type {
        case .null: return ArrayData(type: .null, count: 0)
        case .utf8, .binary: return ArrayData(type: type, count: 0, buffers: [Buffer(zeroed: 4), .empty])
        case .largeUtf8, .largeBinary: return ArrayData(type: type, count: 0, buffers: [Buffer(zeroed: 8), .empty])
        case .list(let f): return ArrayData(type: type, count: 0, buffers: [Buffer(zeroed: 4)], children: [empty(f.type)])
        case .largeList(let f): return ArrayData(type: type, count: 0, buffers: [Buffer(zeroed: 8)], children: [empty(f.type)])
        case .fixedSizeList(let f, _): return ArrayData(type: type, count: 0, children: [empty(f.type)])
        case .struct(let fs): return ArrayData(type: type, count: 0, children: fs.map { empty($0.type) })
        case .dictionary(_, let v): return ArrayData(type: type, count: 0, buffers: [.empty], dictionary: empty(v))
        default: return ArrayData(type: type, count: 0, buffers: [.empty])
        }
    }
}
