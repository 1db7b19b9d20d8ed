import LanceArrow
import LanceCore
import LanceProto

/// Encodes pages of file versions 2.1 and 2.2 (`lance.encodings21.PageLayout`).
///
/// Only leaf fields own columns; struct and list structure travels in each leaf's repetition and
/// definition levels. Narrow values (< 256 bytes) go into mini-block pages, wide ones (large
/// binary, embeddings) into full-zip pages.
enum V21Encoder {
    typealias CE = Lance_Encodings21_CompressiveEncoding

    // MARK: - Repetition and definition levels

    /// A step on the path from a top-level field to a leaf.
    enum Node {
        case structure(ArrayData)
        /// A list array; `depth` counts lists from the outermost (1).
        case list(ArrayData, offsets: [Int64], depth: Int)
        case leaf(ArrayData)
    }

    /// Levels and value positions of one leaf column over one page.
    struct Levels {
        /// Repetition levels (nil when there is no list on the path).
        var rep: [UInt16]?
        /// Definition levels (nil when nothing on the path is null or empty).
        var def: [UInt16]?
        /// For each level entry, the index of its value in the leaf array, or -1 when the entry has
        /// no value (a null or empty list, or a null struct above a list).
        var valueIndex: [Int]
        var layers: [Lance_Encodings21_RepDefLayer]
        var maxRep: UInt16
        /// Largest definition level that still has a value slot (only meaningful with lists).
        var maxVisibleDef: UInt16?
        var entryCount: Int { valueIndex.count }
    }

    static func levels(path: [Node], rows: Int) -> Levels {
        let numLists = path.reduce(0) { if case .list = $1 { return $0 + 1 }; return $0 }
        let maxRep = UInt16(numLists)
        let L = path.count
        var rep = [UInt16](repeating: maxRep, count: rows)
        // Provisional definition markers: 0 valid, else 2 * layer + 1 (null) or + 2 (empty list).
        var def = [UInt32](repeating: 0, count: rows)
        var idx = Array(0 ..< rows)
        var usedNull = [Bool](repeating: false, count: L)
        var usedEmpty = [Bool](repeating: false, count: L)
        for (li, node) in path.enumerated() {
            switch node {
            case .structure(let a), .leaf(let a):
                guard a.validity != nil || a.type == .null else { continue }
                for k in 0 ..< idx.count where idx[k] >= 0 && def[k] == 0 && a.isNull(idx[k]) {
                    def[k] = UInt32(2 * li + 1)
                    usedNull[li] = true
                }
            case .list(let a, let offs, let depth):
                var nRep = [UInt16](), nDef = [UInt32](), nIdx = [Int]()
                nRep.reserveCapacity(idx.count); nDef.reserveCapacity(idx.count); nIdx.reserveCapacity(idx.count)
                let inner = maxRep - UInt16(depth)
                for k in 0 ..< idx.count {
                    let i = idx[k]
                    if i < 0 || def[k] != 0 {
                        nRep.append(rep[k]); nDef.append(def[k]); nIdx.append(-1)
                    } else if a.isNull(i) {
                        nRep.append(rep[k]); nDef.append(UInt32(2 * li + 1)); nIdx.append(-1)
                        usedNull[li] = true
                    } else {
                        let s = Int(offs[i]), e = Int(offs[i + 1])
                        if s == e {
                            nRep.append(rep[k]); nDef.append(UInt32(2 * li + 2)); nIdx.append(-1)
                            usedEmpty[li] = true
                        } else {
                            for j in s ..< e {
                                nRep.append(j == s ? rep[k] : inner); nDef.append(0); nIdx.append(j)
                            }
                        }
                    }
                }
                rep = nRep; def = nDef; idx = nIdx
            }
        }
        // Number the markers from the innermost layer outwards: 1, 2, … (null before empty).
        var codeNull = [UInt16](repeating: 0, count: L)
        var codeEmpty = [UInt16](repeating: 0, count: L)
        var layers: [Lance_Encodings21_RepDefLayer] = []
        var c: UInt16 = 0
        var maxVisible: UInt16? = nil
        for li in stride(from: L - 1, through: 0, by: -1) {
            switch path[li] {
            case .structure, .leaf:
                if usedNull[li] { c += 1; codeNull[li] = c }
                layers.append(usedNull[li] ? .repdefNullableItem : .repdefAllValidItem)
            case .list:
                if maxVisible == nil { maxVisible = c }
                if usedNull[li] { c += 1; codeNull[li] = c }
                if usedEmpty[li] { c += 1; codeEmpty[li] = c }
                switch (usedNull[li], usedEmpty[li]) {
                case (true, true): layers.append(.repdefNullAndEmptyList)
                case (true, false): layers.append(.repdefNullableList)
                case (false, true): layers.append(.repdefEmptyableList)
                case (false, false): layers.append(.repdefAllValidList)
                }
            }
        }
        var finalDef: [UInt16]? = nil
        if c > 0 {
            finalDef = def.map { m -> UInt16 in
                if m == 0 { return 0 }
                let li = Int((m - 1) / 2)
                return (m - 1) % 2 == 0 ? codeNull[li] : codeEmpty[li]
            }
        }
        return Levels(rep: numLists > 0 ? rep : nil, def: finalDef, valueIndex: idx, layers: layers,
                      maxRep: maxRep, maxVisibleDef: numLists > 0 ? maxVisible : nil)
    }

    // MARK: - Values

    enum Values {
        /// Fixed-width values, `bits` per value (a multiple of 8, or 1 for bools), already packed.
        case fixed(bytes: [UInt8], bits: Int, count: Int, encoding: CE)
        /// Variable-width values with `count + 1` offsets from 0.
        case variable(offsets: [UInt64], data: [UInt8], offsetBits: Int, maxLength: Int)
        /// Fixed-size rows stored as several buffers (fixed-size lists whose items have nulls, or whose
        /// rows are not whole bytes): each part holds `bitsPerRow` bits per row, outer item validity first,
        /// then inner validity, then the values.
        case parts([Part], count: Int, encoding: CE)

        var count: Int {
            switch self {
            case .fixed(_, _, let n, _): return n
            case .variable(let o, _, _, _): return o.count - 1
            case .parts(_, let n, _): return n
            }
        }
    }

    struct Part {
        var bitsPerRow: Int
        var bytes: [UInt8]
    }

    static func flat(_ bits: Int) -> CE {
        var f = Lance_Encodings21_Flat()
        f.bitsPerValue = UInt64(bits)
        var e = CE()
        e.compression = .flat(f)
        return e
    }

    static func variableEncoding(_ offsetBits: Int) -> CE {
        var v = Lance_Encodings21_Variable()
        v.offsets = flat(offsetBits)
        var e = CE()
        e.compression = .variable(v)
        return e
    }

    /// Gathers the values at `positions` (entries with a value) of the leaf array.
    static func gather(_ a: ArrayData, positions: [Int], valid: [Bool], field: LanceField) throws -> Values {
        let n = positions.count
        let contiguous = n > 0 && positions[n - 1] - positions[0] == n - 1
        switch a.type {
        case .bool:
            var out = [UInt8](repeating: 0, count: (n + 7) / 8)
            for (k, p) in positions.enumerated() where a.boolValue(p) { out[k >> 3] |= UInt8(1 << (k & 7)) }
            return .fixed(bytes: out, bits: 1, count: n, encoding: flat(1))
        case .utf8, .binary, .largeUtf8, .largeBinary:
            let large = a.type.hasLargeOffsets
            var offs = [UInt64](); offs.reserveCapacity(n + 1); offs.append(0)
            var data = ByteSink()
            var maxLen = 0
            for (k, p) in positions.enumerated() {
                if valid[k] {
                    let r = a.valueRange(p)
                    if !r.isEmpty { a.buffers[1].slice(r).withUnsafeBytes { data.append($0) } }
                    maxLen = max(maxLen, r.count)
                }
                offs.append(UInt64(data.count))
            }
            return .variable(offsets: offs, data: data.bytes, offsetBits: large ? 64 : 32, maxLength: maxLen)
        case .fixedSizeList:
            return try gatherFixedSizeList(a, positions: positions, contiguous: contiguous, field: field)
        default:
            guard let w = a.type.byteWidth else {
                throw LanceError(.unsupported, "type \(a.type) is not supported by the 2.1 writer", column: field.name)
            }
            let bytes = try fixedBytes(a.buffers[0], width: w, positions: positions, contiguous: contiguous)
            return .fixed(bytes: bytes, bits: w * 8, count: n, encoding: flat(w * 8))
        }
    }

    /// All values of a narrow fixed-width or bool array (the same bytes ``gather`` produces for
    /// every position), or nil for other types.
    static func plainValues(_ a: ArrayData) -> Values? {
        let n = a.count
        switch a.type {
        case .bool:
            let off = a.boolOffset
            guard a.buffers.count == 1, (off + n + 7) / 8 <= a.buffers[0].count else { return nil }
            var out = [UInt8](repeating: 0, count: (n + 7) / 8)
            a.buffers[0].withUnsafeBytes { raw in
                if off % 8 == 0 {
                    for k in 0 ..< out.count { out[k] = raw[off / 8 + k] }
                    if n % 8 != 0 { out[out.count - 1] &= UInt8((1 << (n % 8)) - 1) }
                } else {
                    for k in 0 ..< n {
                        let b = off + k
                        if raw[b >> 3] & UInt8(1 << (b & 7)) != 0 { out[k >> 3] |= UInt8(1 << (k & 7)) }
                    }
                }
            }
            return .fixed(bytes: out, bits: 1, count: n, encoding: flat(1))
        case .utf8, .binary, .largeUtf8, .largeBinary, .fixedSizeList, .null:
            return nil
        default:
            guard let w = a.type.byteWidth, w < 256, a.children.isEmpty, a.buffers.count == 1,
                  a.buffers[0].count >= n * w else { return nil }
            return .fixed(bytes: a.buffers[0].slice(0, n * w).bytes, bits: w * 8, count: n, encoding: flat(w * 8))
        }
    }

    /// Bits of the innermost flat values of an encoding (nil when not flat).
    static func innermostBits(_ e: CE) -> Int? {
        switch e.compression {
        case .flat(let f)?: return Int(f.bitsPerValue)
        case .fixedSizeList(let f)?: return innermostBits(f.values)
        default: return nil
        }
    }

    /// The rows at `positions` of a fixed-size list (of fixed-size lists …) of fixed-width or bool items.
    ///
    /// Like pylance, a level whose items have nulls in this page gets `has_validity` and a bitmap of
    /// its items (one bit per item, rows back to back) stored before the values; a page without such
    /// nulls has plain values.
    static func gatherFixedSizeList(_ a: ArrayData, positions: [Int], contiguous: Bool, field: LanceField) throws -> Values {
        var dims: [Int] = []
        var levels: [ArrayData] = [] // the items of each list level, outermost first
        var node = a
        while case .fixedSizeList(_, let d) = node.type {
            guard d > 0 else { throw LanceError(.unsupported, "fixed_size_list of 0 items", column: field.name) }
            dims.append(d)
            node = node.children[0]
            levels.append(node)
        }
        let itemBits: Int
        if node.type == .bool { itemBits = 1 }
        else if let w = node.type.byteWidth { itemBits = w * 8 }
        else {
            // pylance refuses these too (strings, lists and, before 2.2, structs inside fixed-size lists).
            throw LanceError(.unsupported, "fixed_size_list of \(node.type) is not supported", column: field.name)
        }
        let n = positions.count
        var parts: [Part] = []
        var withValidity: [Bool] = []
        var per = 1 // items of the current level per row
        for (l, d) in dims.enumerated() {
            per *= d
            let items = levels[l]
            var hasNull = false
            if items.nullCount > 0 {
                var bits = [UInt8](repeating: 0, count: (n * per + 7) / 8)
                var k = 0
                for p in positions {
                    for j in p * per ..< (p + 1) * per {
                        if items.isValid(j) { bits[k >> 3] |= UInt8(1 << (k & 7)) } else { hasNull = true }
                        k += 1
                    }
                }
                if hasNull { parts.append(Part(bitsPerRow: per, bytes: bits)) }
            }
            withValidity.append(hasNull)
        }
        let values: [UInt8]
        if itemBits == 1 {
            var bits = [UInt8](repeating: 0, count: (n * per + 7) / 8)
            var k = 0
            for p in positions {
                for j in p * per ..< (p + 1) * per {
                    if node.boolValue(j) { bits[k >> 3] |= UInt8(1 << (k & 7)) }
                    k += 1
                }
            }
            values = bits
        } else {
            values = try fixedBytes(node.buffers[0], width: itemBits / 8 * per, positions: positions, contiguous: contiguous)
        }
        var encoding = flat(itemBits)
        for (l, d) in dims.enumerated().reversed() {
            var fsl = Lance_Encodings21_FixedSizeList()
            fsl.itemsPerValue = UInt64(d)
            fsl.values = encoding
            fsl.hasValidity_p = withValidity[l]
            encoding = CE()
            encoding.compression = .fixedSizeList(fsl)
        }
        let rowBits = itemBits * per
        if parts.isEmpty && rowBits % 8 == 0 {
            return .fixed(bytes: values, bits: rowBits, count: n, encoding: encoding)
        }
        parts.append(Part(bitsPerRow: rowBits, bytes: values))
        return .parts(parts, count: n, encoding: encoding)
    }

    static func fixedBytes(_ b: Buffer, width w: Int, positions: [Int], contiguous: Bool) throws -> [UInt8] {
        let n = positions.count
        if n == 0 { return [] }
        if contiguous { return b.slice(positions[0] * w, n * w).bytes }
        var out = [UInt8](repeating: 0, count: n * w)
        b.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                for (k, p) in positions.enumerated() {
                    dst.baseAddress!.advanced(by: k * w).copyMemory(from: src.baseAddress!.advanced(by: p * w), byteCount: w)
                }
            }
        }
        return out
    }

    // MARK: - Page assembly

    /// Appends the pages of every leaf column of top-level `field` for the rows in `array`.
    static func encode(field: LanceField, array: ArrayData, columns: [Int32: Int], version: FileVersion,
                       into pages: inout [EncodedPage]) throws {
        func walk(_ f: LanceField, _ a: ArrayData, _ path: [Node], depth: Int) throws {
            switch a.type {
            case .struct:
                for (k, (cf, ca)) in zip(f.children, a.children).enumerated() {
                    _ = k
                    try walk(cf, ca, path + [.structure(a)], depth: depth)
                }
            case .list, .largeList:
                let offs = WriterUtil.offsets(a)
                try walk(f.children[0], a.children[0], path + [.list(a, offsets: offs, depth: depth + 1)], depth: depth + 1)
            default:
                guard let column = columns[f.id] else {
                    throw LanceError(.internal, "no column for field \(f.id)", column: f.name)
                }
                let page = try encodeLeaf(field: f, path: path + [.leaf(try withoutNullValues(a, field: f))], rows: array.count,
                                          version: version)
                pages.append(EncodedPage(column: column, buffers: page.buffers, encoding: try WriterUtil.direct(page.layout),
                                         length: UInt64(array.count)))
            }
        }
        try walk(field, array, [], depth: 0)
    }

    struct LeafPage {
        var layout: Lance_Encodings21_PageLayout
        var buffers: [[UInt8]]
    }

    static func u16Bytes(_ v: [UInt16]) -> [UInt8] {
        var s = ByteSink(capacity: v.count * 2)
        for x in v { s.append(x) }
        return s.bytes
    }

    static func encodeLeaf(field: LanceField, path: [Node], rows: Int, version: FileVersion) throws -> LeafPage {
        guard case .leaf(let leaf) = path.last! else { preconditionFailure("path must end in a leaf") }
        // A top-level leaf without validity: every row has a value, no levels to compute.
        if path.count == 1, leaf.validity == nil, rows > 0, rows == leaf.count, let values = plainValues(leaf) {
            let lv = Levels(rep: nil, def: nil, valueIndex: [], layers: [.repdefAllValidItem], maxRep: 0, maxVisibleDef: nil)
            return try miniBlock(values, levels: lv, version: version, field: field)
        }
        let lv = levels(path: path, rows: rows)
        var positions: [Int] = []
        var valid: [Bool] = []
        positions.reserveCapacity(lv.entryCount)
        valid.reserveCapacity(lv.entryCount)
        for k in 0 ..< lv.entryCount where lv.valueIndex[k] >= 0 {
            positions.append(lv.valueIndex[k])
            valid.append(lv.def.map { $0[k] == 0 } ?? true)
        }
        // Pages without values, or whose values are all null.
        if positions.isEmpty || !valid.contains(true) || leaf.type == .null {
            var all = Lance_Encodings21_AllNullLayout()
            var layout = Lance_Encodings21_PageLayout()
            if lv.rep == nil && path.count == 1 {
                all.layers = [.repdefNullableItem]
                layout.layout = .allNullLayout(all)
                return LeafPage(layout: layout, buffers: [])
            }
            all.layers = lv.layers
            layout.layout = .allNullLayout(all)
            return LeafPage(layout: layout, buffers: [u16Bytes(lv.rep ?? []), u16Bytes(lv.def ?? [])])
        }
        if case .dictionary(let indexType, _) = leaf.type {
            let (dict, dictCount) = try dictionaryBlock(leaf, field: field)
            guard let w = indexType.byteWidth else {
                throw LanceError(.unsupported, "dictionary indices of type \(indexType)", column: field.name)
            }
            var bytes = try fixedBytes(leaf.buffers[0], width: w, positions: positions, contiguous: false)
            // Nulls keep index 0, as pylance writes them.
            for (k, ok) in valid.enumerated() where !ok {
                for b in k * w ..< (k + 1) * w { bytes[b] = 0 }
            }
            for (k, p) in positions.enumerated() where valid[k] {
                var v: UInt64 = 0
                for b in 0 ..< w { v |= UInt64(bytes[k * w + b]) << (8 * b) }
                if w < 8 && v >= 1 << (8 * w - 1) { v = .max } // negative index
                guard v < UInt64(dictCount) else {
                    throw LanceError(.invalidInput, "dictionary index \(v) at row \(p) is out of range (\(dictCount) values)", column: field.name)
                }
            }
            let values = Values.fixed(bytes: bytes, bits: w * 8, count: positions.count, encoding: flat(w * 8))
            return try miniBlock(values, levels: lv, version: version, field: field, dictionary: (dict.0, dict.1, dictCount))
        }
        let values = try gather(leaf, positions: positions, valid: valid, field: field)
        var narrow: Bool
        switch values {
        case .fixed(_, let bits, _, _): narrow = bits / 8 < 256
        case .variable(_, _, _, let maxLen): narrow = maxLen < 256
        case .parts(let parts, _, _): narrow = parts.reduce(0) { $0 + $1.bitsPerRow } / 8 < 256
        }
        // pylance keeps bit-packed values (bools, fixed-size lists of bools) in mini-blocks at any width.
        if case .fixed(_, let bits, _, let enc) = values, bits % 8 != 0 || innermostBits(enc) == 1 { narrow = true }
        if case .parts(_, _, let enc) = values, innermostBits(enc) == 1 { narrow = true }
        if narrow {
            return try miniBlock(values, levels: lv, version: version, field: field)
        }
        return try fullZip(values, levels: lv, field: field)
    }

    // MARK: Mini-block

    /// A mini-block chunk would hold more levels or bytes than its header can describe (many empty or
    /// null lists around few values). The writer then encodes the rows as two smaller pages.
    struct ChunkTooLarge: Error {
        var message: String
        var column: String
        var lanceError: LanceError { LanceError(.unsupported, message, column: column) }
    }

    static let maxChunkBytes = 8 * 1024 - 6
    static let maxChunkValues = 4096
    static let aimVariableChunkBytes = 4 * 1024

    /// One chunk: number of values, log2 of it (0 for the last chunk) and its value buffer bytes.
    struct Chunk {
        var count: Int
        var logCount: Int
        var buffers: [[UInt8]]

        init(count: Int, logCount: Int, data: [UInt8]) {
            self.count = count; self.logCount = logCount; buffers = [data]
        }

        init(count: Int, logCount: Int, buffers: [[UInt8]]) {
            self.count = count; self.logCount = logCount; self.buffers = buffers
        }
    }

    /// Chunks of a multi-buffer fixed-size value: a power-of-two number of rows (at least 8, so every
    /// chunk starts on a byte in each bitmap) whose buffers fit the chunk size, the rest last.
    static func chunkParts(_ parts: [Part], count: Int) -> [Chunk] {
        let rowBits = parts.reduce(0) { $0 + $1.bitsPerRow }
        var logVals = 3
        while (2 << logVals) * rowBits / 8 + 8 * parts.count < maxChunkBytes && (2 << logVals) <= maxChunkValues { logVals += 1 }
        let vals = 1 << logVals
        var chunks: [Chunk] = []
        var row = 0
        while row < count {
            let k = min(vals, count - row)
            let bufs = parts.map { p -> [UInt8] in
                let start = row * p.bitsPerRow / 8
                let end = min(p.bytes.count, ((row + k) * p.bitsPerRow + 7) / 8)
                return Array(p.bytes[start ..< end])
            }
            chunks.append(Chunk(count: k, logCount: row + k == count ? 0 : logVals, buffers: bufs))
            row += k
        }
        return chunks
    }

    static func chunkFixed(_ bytes: [UInt8], bits: Int, count: Int) -> [Chunk] {
        let (bytesPerWord, valuesPerWord) = bits % 8 == 0 ? (bits / 8, 1) : (bits, 8)
        var size = 2 * bytesPerWord
        var (logVals, vals) = valuesPerWord == 1 ? (1, 2) : (3, 8)
        while 2 * size < maxChunkBytes && 2 * vals <= maxChunkValues {
            logVals += 1; size *= 2; vals *= 2
        }
        let bytesPerChunk = bytesPerWord * (vals / valuesPerWord)
        var chunks: [Chunk] = []
        var row = 0, pos = 0
        while row < count {
            if row + vals <= count {
                chunks.append(Chunk(count: vals, logCount: logVals,
                                    data: Array(bytes[pos ..< pos + bytesPerChunk])))
                row += vals; pos += bytesPerChunk
            } else {
                chunks.append(Chunk(count: count - row, logCount: 0, data: Array(bytes[pos...])))
                row = count
            }
        }
        return chunks
    }

    static func chunkVariable(offsets: [UInt64], data: [UInt8], offsetBits: Int) -> [Chunk] {
        let w = offsetBits / 8
        let last = offsets.count - 1
        var chunks: [Chunk] = []
        var start = 0
        while start < last {
            // Largest power-of-two number of values that fits the target size (or all the rest).
            var num = 1
            var end = -1
            while true {
                let next = num * 2
                if start + next >= offsets.count {
                    let size = Int(offsets[last] - offsets[start]) + (offsets.count - start) * w
                    end = size <= aimVariableChunkBytes ? last : start + num
                    break
                }
                let size = Int(offsets[start + next] - offsets[start]) + (next + 1) * w
                if size <= aimVariableChunkBytes && next <= maxChunkValues { num = next } else { end = start + num; break }
            }
            let n = end - start
            var buf = ByteSink()
            let headerBytes = UInt64((n + 1) * w)
            for i in start ... end {
                let v = offsets[i] - offsets[start] + headerBytes
                if w == 4 { buf.append(UInt32(v)) } else { buf.append(v) }
            }
            buf.append(contentsOf: Array(data[Int(offsets[start]) ..< Int(offsets[end])]))
            buf.pad(to: w, fill: 0x48)
            chunks.append(Chunk(count: n, logCount: end == last ? 0 : n.trailingZeroBitCount, data: buf.bytes))
            start = end
        }
        return chunks
    }

    /// A dictionary array whose dictionary holds nulls becomes, as pylance stores it, one whose rows
    /// pointing at a null value are null and whose dictionary keeps only the non-null values.
    static func withoutNullValues(_ a: ArrayData, field: LanceField) throws -> ArrayData {
        guard case .dictionary(let indexType, _) = a.type, let d = a.dictionary, d.nullCount > 0,
              let w = indexType.byteWidth else { return a }
        var remap = [Int](repeating: -1, count: d.count)
        var keep: [Int] = []
        for j in 0 ..< d.count where d.isValid(j) { remap[j] = keep.count; keep.append(j) }
        let dict = keep.isEmpty ? d.slice(0, 0) : ArrayData.concat(keep.map { d.slice($0, 1) })
        var bytes = [UInt8](repeating: 0, count: a.count * w)
        var valid = [Bool](repeating: false, count: a.count)
        try a.buffers[0].withUnsafeBytes { src in
            for i in 0 ..< a.count where a.isValid(i) {
                var v: UInt64 = 0
                for b in 0 ..< w { v |= UInt64(src[i * w + b]) << (8 * b) }
                guard v < UInt64(d.count), !(w < 8 && v >= 1 << (8 * w - 1)) else {
                    throw LanceError(.invalidInput, "dictionary index \(v) at row \(i) is out of range (\(d.count) values)", column: field.name)
                }
                let k = remap[Int(v)]
                guard k >= 0 else { continue }
                valid[i] = true
                withUnsafeBytes(of: UInt64(k).littleEndian) { for b in 0 ..< w { bytes[i * w + b] = $0[b] } }
            }
        }
        return ArrayData(type: a.type, count: a.count, validity: Bitmap(valid), buffers: [Buffer(bytes)], dictionary: dict)
    }

    /// The whole dictionary of a dictionary array as one block buffer, the way pylance stores it in a
    /// mini-block page: fixed-width values flat, strings and binaries as a `variable` block (offsets
    /// width, data start, offsets from 0, bytes).
    static func dictionaryBlock(_ a: ArrayData, field: LanceField) throws -> ((CE, [UInt8]), Int) {
        guard let d = a.dictionary else { throw LanceError(.invalidInput, "dictionary array without a dictionary", column: field.name) }
        let n = d.count
        switch d.type {
        case .utf8, .binary, .largeUtf8, .largeBinary:
            let large = d.type.hasLargeOffsets
            let offs = WriterUtil.offsets(d)
            let base = offs.first ?? 0
            let end = offs.last ?? 0
            var out = ByteSink()
            if large {
                out.append(UInt32(64)); out.append(UInt32(0)); out.append(UInt64(16 + 8 * (n + 1)))
                for o in offs { out.append(UInt64(o - base)) }
            } else {
                guard end - base <= Int64(UInt32.max) else { throw LanceError(.unsupported, "dictionary of more than 4 GiB", column: field.name) }
                out.append(UInt32(32)); out.append(UInt32(8 + 4 * (n + 1)))
                for o in offs { out.append(UInt32(o - base)) }
            }
            if end > base { d.buffers[1].slice(Int(base) ..< Int(end)).withUnsafeBytes { out.append($0) } }
            var v = Lance_Encodings21_Variable()
            v.offsets = flat(large ? 64 : 32)
            var e = CE()
            e.compression = .variable(v)
            return ((e, out.bytes), n)
        case .bool:
            return ((flat(1), WriterUtil.boolBits(d)), n)
        default:
            guard let w = d.type.byteWidth else {
                throw LanceError(.unsupported, "dictionary of \(d.type) values", column: field.name)
            }
            return ((flat(w * 8), d.buffers[0].slice(0, n * w).bytes), n)
        }
    }

    static func miniBlock(_ values: Values, levels lv: Levels, version: FileVersion, field: LanceField,
                          dictionary: (encoding: CE, bytes: [UInt8], count: Int)? = nil) throws -> LeafPage {
        let large = version >= .v2_2
        let chunks: [Chunk]
        let valueEncoding: CE
        switch values {
        case .fixed(let bytes, let bits, let count, let enc):
            chunks = chunkFixed(bytes, bits: bits, count: count)
            valueEncoding = enc
        case .variable(let offs, let data, let bits, _):
            chunks = chunkVariable(offsets: offs, data: data, offsetBits: bits)
            valueEncoding = variableEncoding(bits)
        case .parts(let parts, let count, let enc):
            chunks = chunkParts(parts, count: count)
            valueEncoding = enc
        }
        // Split the levels among the chunks: each chunk takes levels until it has its values;
        // value-less entries after a chunk's last value belong to the next chunk.
        var repChunks: [[UInt16]] = []
        var defChunks: [[UInt16]] = []
        var repIndex: [UInt64] = []
        if lv.rep != nil || lv.def != nil {
            var cursor = 0
            for (ci, chunk) in chunks.enumerated() {
                let start = cursor
                if ci == chunks.count - 1 {
                    cursor = lv.entryCount
                } else {
                    var taken = 0
                    while taken < chunk.count {
                        if lv.valueIndex[cursor] >= 0 { taken += 1 }
                        cursor += 1
                    }
                }
                if let rep = lv.rep { repChunks.append(Array(rep[start ..< cursor])) }
                if let def = lv.def { defChunks.append(Array(def[start ..< cursor])) }
            }
        }
        if lv.rep != nil {
            let maxRep = lv.maxRep
            for (ci, r) in repChunks.enumerated() {
                var finished = r.dropFirst().reduce(0) { $1 == maxRep ? $0 + 1 : $0 }
                var leftovers = 0
                if ci < repChunks.count - 1 {
                    if let p = r.lastIndex(of: maxRep) { leftovers = r.count - p } else { leftovers = r.count }
                }
                if ci != 0 && r.first == maxRep && repIndex[repIndex.count - 1] != 0 {
                    repIndex[repIndex.count - 2] += 1
                    repIndex[repIndex.count - 1] = 0
                }
                if ci == repChunks.count - 1 { finished += 1 }
                repIndex.append(UInt64(finished))
                repIndex.append(UInt64(leftovers))
            }
        }
        var data = ByteSink()
        var meta = ByteSink()
        for (ci, chunk) in chunks.enumerated() {
            let start = data.count
            let rep = lv.rep != nil ? repChunks[ci] : nil
            let def = lv.def != nil ? defChunks[ci] : nil
            let numLevels = rep?.count ?? def?.count ?? 0
            let repBytes = rep.map(u16Bytes)
            let defBytes = def.map(u16Bytes)
            guard numLevels <= Int(UInt16.max), (repBytes?.count ?? 0) <= Int(UInt16.max), (defBytes?.count ?? 0) <= Int(UInt16.max) else {
                throw ChunkTooLarge(message: "too many levels in one mini-block chunk", column: field.name)
            }
            data.append(UInt16(numLevels))
            if let repBytes { data.append(UInt16(repBytes.count)) }
            if let defBytes { data.append(UInt16(defBytes.count)) }
            for b in chunk.buffers {
                if large { data.append(UInt32(b.count)) } else { data.append(UInt16(b.count)) }
            }
            data.pad(to: 8, fill: 0xFE)
            if let repBytes { data.append(contentsOf: repBytes); data.pad(to: 8, fill: 0xFE) }
            if let defBytes { data.append(contentsOf: defBytes); data.pad(to: 8, fill: 0xFE) }
            for b in chunk.buffers {
                data.append(contentsOf: b)
                data.pad(to: 8, fill: 0xFE)
            }
            let chunkBytes = data.count - start
            guard large || chunkBytes <= 32 * 1024 else {
                throw ChunkTooLarge(message: "mini-block chunk of \(chunkBytes) bytes exceeds 32 KiB", column: field.name)
            }
            let word = UInt64(chunkBytes / 8 - 1) << 4 | UInt64(chunk.logCount)
            if large { meta.append(UInt32(word)) } else { meta.append(UInt16(word)) }
        }
        var mb = Lance_Encodings21_MiniBlockLayout()
        if lv.rep != nil { mb.repCompression = flat(16) }
        if lv.def != nil { mb.defCompression = flat(16) }
        mb.valueCompression = valueEncoding
        mb.layers = lv.layers
        mb.numBuffers = UInt64(chunks.first?.buffers.count ?? 1)
        mb.repetitionIndexDepth = lv.rep != nil ? 1 : 0
        mb.numItems = UInt64(values.count)
        mb.hasLargeChunk_p = large
        if let dictionary {
            mb.dictionary = dictionary.encoding
            mb.numDictionaryItems = UInt64(dictionary.count)
        }
        var layout = Lance_Encodings21_PageLayout()
        layout.layout = .miniBlockLayout(mb)
        var buffers = [meta.bytes, data.bytes]
        if let dictionary { buffers.append(dictionary.bytes) }
        if lv.rep != nil {
            var ri = ByteSink(capacity: repIndex.count * 8)
            for v in repIndex { ri.append(v) }
            buffers.append(ri.bytes)
        }
        return LeafPage(layout: layout, buffers: buffers)
    }

    // MARK: Full-zip

    static func fullZip(_ values: Values, levels lv: Levels, field: LanceField) throws -> LeafPage {
        var values = values
        if case .parts(let parts, let count, let enc) = values {
            // Each value: every item bitmap of the row (outermost list level first) in whole bytes, then its items.
            guard let last = parts.last, last.bitsPerRow % 8 == 0, innermostBits(enc).map({ $0 % 8 == 0 }) == true else {
                throw LanceError(.unsupported, "wide fixed_size_list values of bools with nulls", column: field.name)
            }
            let wb = last.bitsPerRow / 8
            let maps = parts.dropLast()
            let rowBytes = maps.reduce(0) { $0 + ($1.bitsPerRow + 7) / 8 } + wb
            var out = [UInt8](repeating: 0, count: count * rowBytes)
            var pos = 0
            for r in 0 ..< count {
                for m in maps {
                    let bpr = m.bitsPerRow
                    for j in 0 ..< bpr {
                        let k = r * bpr + j
                        if m.bytes[k >> 3] & (1 << (k & 7)) != 0 { out[pos + (j >> 3)] |= UInt8(1 << (j & 7)) }
                    }
                    pos += (bpr + 7) / 8
                }
                out.replaceSubrange(pos ..< pos + wb, with: last.bytes[r * wb ..< (r + 1) * wb])
                pos += wb
            }
            values = .fixed(bytes: out, bits: rowBytes * 8, count: count, encoding: enc)
        }
        let hasRep = lv.rep != nil
        let maxDef = lv.def?.max() ?? 0
        let bitsRep = hasRep ? WriterUtil.bitsNeeded(UInt64(lv.maxRep)) : 0
        let bitsDef = lv.def != nil ? WriterUtil.bitsNeeded(UInt64(maxDef)) : 0
        let total = bitsRep + bitsDef
        let wordBytes = total == 0 ? 0 : total <= 8 ? 1 : total <= 16 ? 2 : 4
        let maxVisible = lv.maxVisibleDef ?? UInt16.max
        var buf = ByteSink()
        var starts: [UInt64] = []
        var fz = Lance_Encodings21_FullZipLayout()
        fz.bitsRep = UInt32(bitsRep)
        fz.bitsDef = UInt32(bitsDef)
        fz.layers = lv.layers
        fz.numItems = UInt32(hasRep ? lv.entryCount : values.count)
        fz.numVisibleItems = UInt32(values.count)
        var estimate = 0
        var v = 0
        func control(_ k: Int) -> (newRow: Bool, visible: Bool, valid: Bool) {
            let r = lv.rep?[k] ?? 0
            let d = lv.def?[k] ?? 0
            if wordBytes > 0 {
                let word = UInt32(r) << UInt32(bitsDef) | UInt32(d)
                switch wordBytes {
                case 1: buf.append(UInt8(word))
                case 2: buf.append(UInt16(word))
                default: buf.append(word)
                }
            }
            return (!hasRep || r == lv.maxRep, d <= maxVisible, d == 0)
        }
        switch values {
        case .parts:
            preconditionFailure("parts are converted above")
        case .fixed(let bytes, let bits, _, let enc):
            let w = bits / 8
            fz.details = .bitsPerValue(UInt32(bits))
            fz.valueCompression = enc
            estimate = bytes.count + wordBytes * lv.entryCount
            for k in 0 ..< lv.entryCount {
                let pos = UInt64(buf.count)
                let c = control(k)
                if c.newRow { starts.append(pos) }
                if lv.valueIndex[k] >= 0 {
                    buf.append(contentsOf: Array(bytes[v * w ..< (v + 1) * w]))
                    v += 1
                }
            }
        case .variable(let offs, let data, let bits, _):
            fz.details = .bitsPerOffset(UInt32(bits))
            fz.valueCompression = variableEncoding(bits)
            estimate = data.count + wordBytes * lv.entryCount + bits / 8 * values.count
            for k in 0 ..< lv.entryCount {
                let pos = UInt64(buf.count)
                let c = control(k)
                if c.newRow { starts.append(pos) }
                if lv.valueIndex[k] >= 0 {
                    if c.valid {
                        let len = offs[v + 1] - offs[v]
                        if bits == 32 { buf.append(UInt32(len)) } else { buf.append(len) }
                        buf.append(contentsOf: Array(data[Int(offs[v]) ..< Int(offs[v + 1])]))
                    }
                    v += 1
                }
            }
        }
        starts.append(UInt64(buf.count))
        var layout = Lance_Encodings21_PageLayout()
        layout.layout = .fullZipLayout(fz)
        var buffers = [buf.bytes]
        var needsIndex = hasRep
        if case .variable = values { needsIndex = true }
        if needsIndex {
            let maxV = UInt64(max(estimate, buf.count))
            var ri = ByteSink()
            for s in starts {
                if maxV <= 0xFF { ri.append(UInt8(s)) }
                else if maxV <= 0xFFFF { ri.append(UInt16(s)) }
                else if maxV <= 0xFFFF_FFFF { ri.append(UInt32(s)) }
                else { ri.append(s) }
            }
            buffers.append(ri.bytes)
        }
        return LeafPage(layout: layout, buffers: buffers)
    }
}
