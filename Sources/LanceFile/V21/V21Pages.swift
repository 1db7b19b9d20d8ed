import LanceArrow
import LanceCore
import LanceKernels
import LanceProto

/// One page of a 2.1/2.2 column with its decoded layout.
struct V21Page: Sendable {
    let column: Int
    let index: Int
    let firstRow: Int
    let rows: Int
    let layout: Lance_Encodings21_PageLayout
    let offsets: [UInt64]
    let sizes: [UInt64]

    var label: String { "column \(column) page \(index)" }

    /// Reads `length` bytes at `start` of buffer `b`, checking the range against the buffer.
    func read(_ file: LanceFileReader, buffer b: Int, _ start: Int = 0, _ length: Int? = nil) async throws -> Buffer {
        guard b < offsets.count else { throw LanceError.corrupt("\(label) has no buffer \(b)") }
        let size = sizes[b]
        let len = length.map(UInt64.init) ?? (size - UInt64(min(UInt64(start), size)))
        guard start >= 0, UInt64(start) <= size, len <= size - UInt64(start) else {
            throw LanceError.corrupt("\(label): bytes \(start)+\(len) outside buffer \(b) of \(size) bytes")
        }
        if len == 0 { return .empty }
        return try await file.read(offset: offsets[b] + UInt64(start), size: len)
    }
}

enum V21Pages {
    /// The pages of a column, parsed once per reader and cached.
    static func pages(_ file: LanceFileReader, column: Int) throws -> [V21Page] {
        if let cached = file.v21PageCache.withLock({ $0[column] }) { return cached }
        let parsed = try parsePages(file, column: column)
        file.v21PageCache.withLock { $0[column] = parsed }
        return parsed
    }

    static func parsePages(_ file: LanceFileReader, column: Int) throws -> [V21Page] {
        guard column >= 0 && column < file.columns.count else {
            throw LanceError.corrupt("column index \(column) out of range (file has \(file.columns.count) columns)")
        }
        var out: [V21Page] = []
        var row = 0
        for (i, p) in file.columns[column].pages.enumerated() {
            guard p.bufferOffsets.count == p.bufferSizes.count else {
                throw LanceError.corrupt("column \(column) page \(i) has \(p.bufferOffsets.count) buffer offsets but \(p.bufferSizes.count) sizes")
            }
            for (o, s) in zip(p.bufferOffsets, p.bufferSizes) where o > file.object.size || s > file.object.size - o {
                throw LanceError.corrupt("column \(column) page \(i) buffer at \(o)+\(s) lies outside the file")
            }
            let layout = try LanceFileReader.unpack(p.encoding, as: Lance_Encodings21_PageLayout.self, path: file.path,
                                                    what: "column \(column) page \(i)")
            let rows = try checkCount(p.length, "column \(column) page \(i) row count")
            out.append(V21Page(column: column, index: i, firstRow: row, rows: rows, layout: layout,
                               offsets: p.bufferOffsets, sizes: p.bufferSizes))
            row += rows
        }
        return out
    }

    /// Decodes rows `range` (page-relative) of a page.
    static func read(_ file: LanceFileReader, _ page: V21Page, rows range: Range<Int>, kind: V21ValueKind) async throws -> V21Segment {
        do {
            switch page.layout.layout {
            case .miniBlockLayout(let m)?:
                return try await MiniBlock(page: page, layout: m, kind: kind, file: file).read(rows: range)
            case .fullZipLayout(let z)?:
                return try await FullZip(page: page, layout: z, kind: kind).read(file, rows: range)
            case .allNullLayout(let a)?:
                return try await allNull(file, page, a, kind: kind, rows: Array(range))
            case .blobLayout(let b)?:
                return try await blob(file, page, b, kind: kind, rows: Array(range))
            case nil:
                throw LanceError.unsupported("page layout is missing or of an unknown kind")
            }
        } catch let e as LanceError {
            var e = e
            e.message = "\(page.label): \(e.message)"
            throw e
        }
    }

    /// Blob pages: an inner mini-block page of (position, size) descriptions; the values live elsewhere in
    /// the file. Size 0 with position 0 is an empty value, size 0 with another position a null.
    static func blob(_ file: LanceFileReader, _ page: V21Page, _ b: Lance_Encodings21_BlobLayout, kind: V21ValueKind,
                     rows: [Int]) async throws -> V21Segment {
        let layers = try V21Layer.from(b.layers)
        guard layers.count == 1, case .item(let nullable) = layers[0] else {
            throw LanceError.unsupported("blob pages inside lists or structs are not supported")
        }
        guard case .variable = kind else { throw LanceError.corrupt("blob page for a column of shape \(kind)") }
        guard case .miniBlockLayout(let m)? = b.innerLayout.layout else {
            throw LanceError.unsupported("blob page with a non-mini-block inner layout")
        }
        var inner = b.innerLayout
        inner.layout = .miniBlockLayout(m)
        let innerPage = V21Page(column: page.column, index: page.index, firstRow: page.firstRow, rows: page.rows,
                                layout: inner, offsets: page.offsets, sizes: page.sizes)
        let segs = try await MiniBlock(page: innerPage, layout: m, kind: .packed([.fixed(8), .fixed(8)]), file: file).take(rows: rows)
        let desc = segs.isEmpty ? V21Values.structure([.fixed(width: 8, data: []), .fixed(width: 8, data: [])], count: 0)
            : try V21Values.concat(segs.map(\.values))
        guard case .structure(let kids, let n) = desc, kids.count == 2, n == rows.count,
              case .fixed(8, let pos) = kids[0], case .fixed(8, let size) = kids[1] else {
            throw LanceError.corrupt("blob descriptions do not decode to (position, size) pairs")
        }
        var offsets = [0]; offsets.reserveCapacity(n + 1)
        var data = [UInt8]()
        var def: [UInt16]? = nil
        for i in 0 ..< n {
            let p = pos.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self) }
            let s = size.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self) }
            if s == 0 && p != 0 {
                guard nullable else { throw LanceError.corrupt("null blob in a non-nullable blob page") }
                if def == nil { def = [UInt16](repeating: 0, count: i) }
                def!.append(1)
            } else {
                def?.append(0)
                if s > 0 { data.append(contentsOf: try await file.read(offset: p, size: s).bytes) }
            }
            offsets.append(data.count)
        }
        return V21Segment(layers: layers, rep: nil, def: def, values: .variable(offsets: offsets, data: data), rows: n)
    }

    /// Decodes the rows at `rows` (page-relative, ascending) of a page.
    static func take(_ file: LanceFileReader, _ page: V21Page, rows: [Int], kind: V21ValueKind) async throws -> [V21Segment] {
        do {
            switch page.layout.layout {
            case .miniBlockLayout(let m)?:
                return try await MiniBlock(page: page, layout: m, kind: kind, file: file).take(rows: rows)
            case .fullZipLayout(let z)?:
                return [try await FullZip(page: page, layout: z, kind: kind).take(file, rows: rows)]
            case .allNullLayout(let a)?:
                return [try await allNull(file, page, a, kind: kind, rows: rows)]
            case .blobLayout(let b)?:
                return [try await blob(file, page, b, kind: kind, rows: rows)]
            case nil:
                throw LanceError.unsupported("page layout is missing or of an unknown kind")
            }
        } catch let e as LanceError {
            var e = e
            e.message = "\(page.label): \(e.message)"
            throw e
        }
    }

    static func rawLevels(_ b: Buffer) throws -> [UInt16]? {
        if b.count == 0 { return nil }
        guard b.count % 2 == 0 else { throw LanceError.corrupt("16-bit level buffer has an odd size \(b.count)") }
        return b.withUnsafeBytes { raw in (0 ..< raw.count / 2).map { raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self) } }
    }

    /// One level buffer of an all-null/constant page: raw 16-bit values, or `count` values compressed with `enc`.
    static func allNullLevels(_ b: Buffer, _ enc: CEnc?, _ count: UInt64, _ what: String) throws -> [UInt16]? {
        if b.count == 0 { return nil }
        guard let enc else { return try rawLevels(b) }
        let n = try checkCount(count, "all-null page \(what) level count")
        return try V21Compression.levels(enc, b, count: n)
    }

    /// All-null pages, and (2.2) constant pages; `rows` (page-relative, ascending) are the rows wanted.
    static func allNull(_ file: LanceFileReader, _ page: V21Page, _ a: Lance_Encodings21_AllNullLayout, kind: V21ValueKind,
                        rows wanted: [Int]) async throws -> V21Segment {
        let layers = try V21Layer.from(a.layers)
        var bufs: [Buffer] = []
        for b in 0 ..< page.offsets.count { bufs.append(try await page.read(file, buffer: b)) }
        var constant: V21Values? = nil
        var levelBufs = bufs
        if a.hasConstantValue {
            constant = try V21Compression.constant(Array(a.constantValue), count: 1, kind: kind)
        } else if bufs.count == 1 || bufs.count == 3 {
            // u32 buffer count (2), u32 sizes, then offsets and bytes of the one value
            let b = bufs[0]
            let nb = try rdU32(b, 0, "constant value header")
            guard nb == 2 else { throw LanceError.corrupt("constant value holds \(nb) buffers, expected 2") }
            let offLen = Int(try rdU32(b, 4, "constant value header")), dataLen = Int(try rdU32(b, 8, "constant value header"))
            let offs = try checkedSlice(b, 12, offLen, "constant value offsets")
            let data = try checkedSlice(b, 12 + offLen, dataLen, "constant value bytes")
            guard offLen == 8 || offLen == 16 else { throw LanceError.corrupt("constant value offsets of \(offLen) bytes") }
            let o = try V21Compression.offsets(offs, bits: offLen * 4, count: 2, what: "constant value")
            let v = try V21Compression.variable(offsets: o, data: data, what: "constant value")
            guard case .variable = kind else { throw LanceError.corrupt("variable-width constant for a column of shape \(kind)") }
            constant = v
            levelBufs = Array(bufs.dropFirst())
        }
        var rep: [UInt16]? = nil, def: [UInt16]? = nil
        if levelBufs.count >= 2 {
            // 2.2 writers may compress the levels (e.g. RLE of 16-bit values with 8-bit run lengths);
            // without a compression description they are raw 16-bit values.
            rep = try allNullLevels(levelBufs[0], a.hasRepCompression ? a.repCompression : nil, a.numRepValues, "repetition")
            def = try allNullLevels(levelBufs[1], a.hasDefCompression ? a.defCompression : nil, a.numDefValues, "definition")
        } else if levelBufs.count == 1 {
            throw LanceError.corrupt("all-null page has one level buffer")
        }
        if rep == nil && def == nil {
            // No levels: one item per row, built for the wanted rows only.
            guard !layers.contains(where: \.isList) else { throw LanceError.corrupt("all-null page of a list column has no levels") }
            let n = wanted.count
            if constant == nil, case .item(true) = layers[0] { def = [UInt16](repeating: 1, count: n) }
            let values = try constant.map { try $0.repeatedChecked(n) } ?? V21Values.zeros(like: kind, count: n)
            return V21Segment(layers: layers, rep: nil, def: def, values: values, rows: n)
        }
        var seg = V21Segment(layers: layers, rep: rep, def: def, values: .fixed(width: 1, data: []), rows: page.rows)
        let visible = seg.visiblePrefix()?.last ?? seg.levelCount
        seg.values = try constant.map { try $0.repeatedChecked(visible) } ?? V21Values.zeros(like: kind, count: visible)
        _ = try seg.rowStarts()
        return try seg.select(rows: wanted)
    }
}

/// The natural fixed-width shape of an encoding's output (for dictionary indices).
func v21IndexKind(_ e: CEnc) throws -> V21ValueKind {
    switch e.compression {
    case .flat(let f)?: return .fixed(Int(f.bitsPerValue) / 8)
    case .inlineBitpacking(let b)?: return .fixed(Int(b.uncompressedBitsPerValue) / 8)
    case .outOfLineBitpacking(let b)?: return .fixed(Int(b.uncompressedBitsPerValue) / 8)
    case .rle(let r)?: return try v21IndexKind(r.values)
    case .general(let g)?: return try v21IndexKind(g.values)
    case .byteStreamSplit(let s)?: return try v21IndexKind(s.values)
    default: throw LanceError.unsupported("dictionary indices encoded with `\(V21Compression.name(e))`")
    }
}

func v21Ints(_ v: V21Values) throws -> [Int] {
    guard case .fixed(let w, let d) = v, [1, 2, 4, 8].contains(w) else { throw LanceError.corrupt("dictionary indices are not integers") }
    let n = d.count / w
    return d.withUnsafeBytes { raw in
        [Int](unsafeUninitializedCapacity: n) { out, done in
            switch w {
            case 1: for i in 0 ..< n { out[i] = Int(raw[i]) }
            case 2: for i in 0 ..< n { out[i] = Int(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            case 4: for i in 0 ..< n { out[i] = Int(raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
            default: for i in 0 ..< n { out[i] = Int(truncatingIfNeeded: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
            }
            done = n
        }
    }
}

// MARK: - Mini-block

struct MiniBlock {
    let page: V21Page
    let layout: Lance_Encodings21_MiniBlockLayout
    let kind: V21ValueKind
    let file: LanceFileReader

    struct Chunk { var offset: Int; var size: Int; var items: Int; var firstItem: Int }

    /// The chunk table, parsed once per reader (for takes, which come back to the same pages).
    func cachedChunks() async throws -> [Chunk] {
        let key = page.column << 32 | page.index
        if let c = file.miniBlockChunkCache.withLock({ $0[key] }) { return c }
        let c = try await chunks()
        file.miniBlockChunkCache.withLock { $0[key] = c }
        return c
    }

    func chunks() async throws -> [Chunk] {
        let meta = try await page.read(file, buffer: 0)
        let wordSize = layout.hasLargeChunk_p ? 4 : 2
        guard meta.count % wordSize == 0 else { throw LanceError.corrupt("chunk metadata of \(meta.count) bytes is not a multiple of \(wordSize)") }
        let n = meta.count / wordSize
        let total = try checkCount(layout.numItems, "mini-block item count")
        guard page.sizes.count >= 2 else { throw LanceError.corrupt("mini-block page has \(page.sizes.count) buffers") }
        let dataSize = page.sizes[1]
        var out: [Chunk] = []; out.reserveCapacity(n)
        var off = 0, items = 0
        for i in 0 ..< n {
            let w = wordSize == 4 ? Int(meta.load(UInt32.self, byteOffset: 4 * i)) : Int(meta.load(UInt16.self, byteOffset: 2 * i))
            let size = ((w >> 4) + 1) * 8
            let log = w & 0xF
            var count = 1 << log
            if i == n - 1 {
                guard items <= total else { throw LanceError.corrupt("chunks hold more than the \(total) items of the page") }
                count = total - items
                guard count <= 1 << 16 else { throw LanceError.corrupt("last chunk claims \(count) items") }
            }
            guard UInt64(off + size) <= dataSize else { throw LanceError.corrupt("chunk \(i) ends past the \(dataSize)-byte data buffer") }
            out.append(Chunk(offset: off, size: size, items: count, firstItem: items))
            off += size; items += count
        }
        guard items == total else { throw LanceError.corrupt("chunks hold \(items) items, the page declares \(total)") }
        return out
    }

    var hasRep: Bool { layout.hasRepCompression }
    var hasDef: Bool { layout.hasDefCompression }

    func dictionary() async throws -> V21Values? {
        guard layout.hasDictionary else { return nil }
        guard page.sizes.count >= 3 else { throw LanceError.corrupt("dictionary page lacks its dictionary buffer") }
        let b = try await page.read(file, buffer: 2)
        let n = try checkCount(layout.numDictionaryItems, "dictionary size")
        return try V21Compression.blockDecode(layout.dictionary, b, count: n, kind: kind)
    }

    /// Decodes the chunks `range` (one read) into one segment of whole rows, or of raw levels when the
    /// page has lists (the caller slices rows).
    func decode(_ cs: ArraySlice<Chunk>, dict: V21Values?, layers: [V21Layer]) async throws -> V21Segment {
        guard let first = cs.first, let last = cs.last else {
            return V21Segment(layers: layers, rep: nil, def: nil, values: .zeros(like: kind, count: 0), rows: 0)
        }
        let bytes = try await page.read(file, buffer: 1, first.offset, last.offset + last.size - first.offset)
        return try decode(cs, bytes: bytes, at: first.offset, dict: dict, layers: layers)
    }

    /// Whether `decode(_:bytes:at:dict:layers:select:)` can pick values before decompressing them
    /// (FSST strings are compressed one by one, so only the wanted ones need expanding).
    var selectsBeforeDecoding: Bool {
        guard !hasRep, !layout.hasDictionary, case .fsst(let f)? = layout.valueCompression.compression,
              case .variable? = f.values.compression, case .variable = kind else { return false }
        return true
    }

    /// Decodes chunks whose bytes lie in `bytes` (which starts at data-buffer offset `at`). With
    /// `select` (one chunk of a page without lists), only those items of the chunk are returned.
    func decode(_ cs: ArraySlice<Chunk>, bytes: Buffer, at: Int, dict: V21Values?, layers: [V21Layer],
                select: [Int]? = nil, fsstTable: FSST.SymbolTable? = nil) throws -> V21Segment {
        let first = cs.first!
        if let sel = select {
            guard cs.count == 1, !hasRep else { throw LanceError(.internal, "item selection needs one chunk without lists") }
            guard sel.allSatisfy({ $0 >= 0 && $0 < first.items }) else { throw LanceError.corrupt("selected items outside the chunk") }
            if !selectsBeforeDecoding {
                return try decode(cs, bytes: bytes, at: at, dict: dict, layers: layers).select(rows: sel)
            }
        }
        var reps: [UInt16]? = hasRep ? [] : nil
        var defs: [UInt16]? = hasDef ? [] : nil
        var values: [V21Values] = []
        let large = layout.hasLargeChunk_p
        let nbuf = try checkCount(layout.numBuffers, "mini-block buffer count")
        guard nbuf <= 64 else { throw LanceError.corrupt("mini-block declares \(nbuf) buffers") }
        let valueKind = dict == nil ? kind : try v21IndexKind(layout.valueCompression)
        for (ci, c) in zip(cs.indices, cs) {
            guard c.offset >= at, c.offset - at + c.size <= bytes.count else {
                throw LanceError(.internal, "chunk \(ci) lies outside the bytes read for it")
            }
            let chunk = bytes.slice(c.offset - at, c.size)
            let what = "chunk \(ci)"
            var off = 0
            let numLevels = Int(try rdU16(chunk, off, what)); off += 2
            var repSize = 0, defSize = 0
            if hasRep { repSize = Int(try rdU16(chunk, off, what)); off += 2 }
            if hasDef { defSize = Int(try rdU16(chunk, off, what)); off += 2 }
            var sizes: [Int] = []
            for _ in 0 ..< nbuf {
                if large { sizes.append(Int(try rdU32(chunk, off, what))); off += 4 }
                else { sizes.append(Int(try rdU16(chunk, off, what))); off += 2 }
            }
            func align() { off = (off + 7) & ~7 }
            align()
            var repBuf: Buffer? = nil, defBuf: Buffer? = nil
            if hasRep { repBuf = try checkedSlice(chunk, off, repSize, "\(what) repetition levels"); off += repSize; align() }
            if hasDef { defBuf = try checkedSlice(chunk, off, defSize, "\(what) definition levels"); off += defSize; align() }
            var bufs: [Buffer] = []
            for (k, s) in sizes.enumerated() {
                bufs.append(try checkedSlice(chunk, off, s, "\(what) buffer \(k)")); off += s; align()
            }
            var v: V21Values
            if let sel = select, case .fsst(let f)? = layout.valueCompression.compression {
                let packed = try V21Compression.miniBlockDecode(f.values, bufs, count: c.items, kind: .variable)
                guard packed.count == c.items else { throw LanceError.corrupt("\(what) holds \(packed.count) values for \(c.items) items") }
                let table = try fsstTable ?? V21Compression.fsstTable(Array(f.symbolTable))
                v = try V21Compression.fsst(packed.gather(sel), table: table)
            } else {
                v = try V21Compression.miniBlockDecode(layout.valueCompression, bufs, count: c.items, kind: valueKind)
            }
            if let dict {
                let idx = try v21Ints(v)
                let dictCount = dict.count
                if let bad = idx.first(where: { $0 < 0 || $0 >= dictCount }) {
                    throw LanceError.corrupt("\(what): dictionary index \(bad) out of range (\(dict.count) items)")
                }
                v = dict.gather(idx)
            }
            values.append(v)
            if let repBuf { reps!.append(contentsOf: try V21Compression.levels(layout.repCompression, repBuf, count: numLevels)) }
            if let defBuf { defs!.append(contentsOf: try V21Compression.levels(layout.defCompression, defBuf, count: numLevels)) }
            if !hasRep && hasDef && numLevels != c.items {
                throw LanceError.corrupt("\(what) has \(numLevels) definition levels for \(c.items) items")
            }
        }
        if let sel = select, let d = defs {
            guard d.count == first.items else { throw LanceError.corrupt("chunk has \(d.count) definition levels for \(first.items) items") }
            defs = sel.map { d[$0] }
        }
        let vals = values.isEmpty ? .zeros(like: kind, count: 0) : try V21Values.concat(values)
        var rows = vals.count
        if let reps {
            let m = UInt16(truncatingIfNeeded: layers.reduce(0) { $0 + ($1.isList ? 1 : 0) })
            rows = reps.reduce(0) { $0 + ($1 == m ? 1 : 0) }
        }
        let seg = V21Segment(layers: layers, rep: reps, def: defs, values: vals, rows: rows)
        try seg.checkValues()
        return seg
    }

    /// Per chunk: rows that end in it and items left over after its last complete row.
    func repetitionIndex(chunks n: Int) async throws -> [(rows: Int, leftover: Int)]? {
        guard hasRep, layout.repetitionIndexDepth >= 1 else { return nil }
        let bi = layout.hasDictionary ? 3 : 2
        guard page.sizes.count > bi else { return nil }
        let stride = Int(layout.repetitionIndexDepth) + 1
        guard stride <= 64, page.sizes[bi] == UInt64(n * stride * 8) else {
            throw LanceError.corrupt("repetition index of \(page.sizes[bi]) bytes for \(n) chunks of depth \(layout.repetitionIndexDepth)")
        }
        let b = try await page.read(file, buffer: bi)
        var out: [(rows: Int, leftover: Int)] = []
        var total = 0
        for c in 0 ..< n {
            let r = b.load(UInt64.self, at: c * stride), l = b.load(UInt64.self, at: c * stride + stride - 1)
            guard r <= UInt64(page.rows), l <= 1 << 32 else { throw LanceError.corrupt("repetition index entry \(c) is invalid") }
            total += Int(r)
            out.append((Int(r), Int(l)))
        }
        guard total == page.rows else { throw LanceError.corrupt("repetition index counts \(total) rows, the page has \(page.rows)") }
        return out
    }

    /// The chunks holding rows `r` (non-empty) and the number of the first row starting in the first of them.
    static func span(_ r: Range<Int>, _ ri: [(rows: Int, leftover: Int)], _ ended: [Int]) -> (ClosedRange<Int>, firstRow: Int) {
        var cs = 0
        while cs < ri.count - 1 && ended[cs + 1] <= r.lowerBound { cs += 1 }
        if r.lowerBound == ended[cs] {
            while cs > 0 && ri[cs - 1].leftover > 0 {
                cs -= 1
                if ri[cs].rows > 0 { break }
            }
        }
        var ce = cs
        while ce < ri.count - 1 && ended[ce + 1] < r.upperBound { ce += 1 }
        return (cs ... ce, ended[cs])
    }

    /// Decodes the chunks of `span` and returns whole rows from the first row that starts in it.
    func decodeSpan(_ span: ClosedRange<Int>, _ cs: [Chunk], firstEnded: Int, dict: V21Values?, layers: [V21Layer]) async throws -> (V21Segment, Int) {
        var seg = try await decode(cs[span], dict: dict, layers: layers)
        guard let rep = seg.rep, !rep.isEmpty else { return (seg, firstEnded) }
        let m = UInt16(truncatingIfNeeded: seg.maxRep)
        if rep[0] == m { return (seg, firstEnded) }
        // Skip the end of a row that started in an earlier chunk.
        guard let p = rep.firstIndex(of: m) else { throw LanceError.corrupt("chunks hold no row start") }
        let items = seg.visiblePrefix()?[p] ?? p
        seg = V21Segment(layers: layers, rep: Array(rep[p...]), def: seg.def.map { Array($0[p...]) },
                         values: seg.values.slice(items ..< seg.values.count), rows: seg.rows)
        return (seg, firstEnded + 1)
    }

    func read(rows range: Range<Int>) async throws -> V21Segment {
        let layers = try V21Layer.from(layout.layers)
        // Partial reads (single-row takes, small slices) come back to the same pages: keep their chunk tables.
        let cs = range.count < page.rows ? try await cachedChunks() : try await chunks()
        let dict = try await dictionary()
        if hasRep {
            if !range.isEmpty, let ri = try await repetitionIndex(chunks: cs.count) {
                var ended = [0]
                for e in ri { ended.append(ended.last! + e.rows) }
                let (sp, first) = MiniBlock.span(range, ri, ended)
                let (seg, r0) = try await decodeSpan(sp, cs, firstEnded: first, dict: dict, layers: layers)
                guard range.lowerBound >= r0, range.upperBound - r0 <= seg.rows else {
                    throw LanceError.corrupt("repetition index does not match the levels")
                }
                return try seg.slice(rows: (range.lowerBound - r0) ..< (range.upperBound - r0))
            }
            let seg = try await decode(cs[...], dict: dict, layers: layers)
            guard seg.rows == page.rows else { throw LanceError.corrupt("levels hold \(seg.rows) rows, the page declares \(page.rows)") }
            return try seg.slice(rows: range)
        }
        guard cs.last.map({ $0.firstItem + $0.items }) ?? 0 == page.rows else {
            throw LanceError.corrupt("page holds \(layout.numItems) items for \(page.rows) rows")
        }
        // Without lists one item is one row: decode only the chunks that overlap.
        let lo = cs.firstIndex { $0.firstItem + $0.items > range.lowerBound } ?? cs.count
        let hi = cs.firstIndex { $0.firstItem >= range.upperBound } ?? cs.count
        if lo >= hi { return V21Segment(layers: layers, rep: nil, def: nil, values: .zeros(like: kind, count: 0), rows: 0) }
        let seg = try await decode(cs[lo ..< hi], dict: dict, layers: layers)
        let base = cs[lo].firstItem
        return try seg.slice(rows: (range.lowerBound - base) ..< (range.upperBound - base))
    }

    func take(rows: [Int]) async throws -> [V21Segment] {
        let layers = try V21Layer.from(layout.layers)
        let cs = try await cachedChunks()
        let dict = try await dictionary()
        if hasRep {
            if let ri = try await repetitionIndex(chunks: cs.count) {
                var ended = [0]
                for e in ri { ended.append(ended.last! + e.rows) }
                var out: [V21Segment] = []
                var i = 0
                while i < rows.count {
                    var (sp, first) = MiniBlock.span(rows[i] ..< rows[i] + 1, ri, ended)
                    var j = i + 1
                    while j < rows.count {
                        let (next, _) = MiniBlock.span(rows[j] ..< rows[j] + 1, ri, ended)
                        guard next.lowerBound <= sp.upperBound else { break }
                        sp = sp.lowerBound ... max(sp.upperBound, next.upperBound)
                        j += 1
                    }
                    let (seg, r0) = try await decodeSpan(sp, cs, firstEnded: first, dict: dict, layers: layers)
                    let sel = rows[i ..< j].map { $0 - r0 }
                    guard sel.allSatisfy({ $0 >= 0 && $0 < seg.rows }) else { throw LanceError.corrupt("repetition index does not match the levels") }
                    out.append(try seg.select(rows: sel))
                    i = j
                }
                return out
            }
            let seg = try await decode(cs[...], dict: dict, layers: layers)
            guard seg.rows == page.rows else { throw LanceError.corrupt("levels hold \(seg.rows) rows, the page declares \(page.rows)") }
            return [try seg.select(rows: rows)]
        }
        guard cs.last.map({ $0.firstItem + $0.items }) ?? 0 == page.rows else {
            throw LanceError.corrupt("page holds \(layout.numItems) items for \(page.rows) rows")
        }
        // The chunks holding wanted rows, with the wanted items of each.
        var wanted: [(chunk: Int, items: [Int])] = []
        var i = 0
        var ci = 0
        while i < rows.count {
            while ci < cs.count && cs[ci].firstItem + cs[ci].items <= rows[i] { ci += 1 }
            guard ci < cs.count, rows[i] >= cs[ci].firstItem else { throw LanceError.corrupt("row \(rows[i]) is not in the page's chunks") }
            let c = cs[ci]
            var sel: [Int] = []
            while i < rows.count && rows[i] >= c.firstItem && rows[i] < c.firstItem + c.items { sel.append(rows[i] - c.firstItem); i += 1 }
            wanted.append((ci, sel))
        }
        // Chunks close together are read at once.
        var table: FSST.SymbolTable? = nil
        if selectsBeforeDecoding, case .fsst(let f)? = layout.valueCompression.compression {
            table = try V21Compression.fsstTable(Array(f.symbolTable))
        }
        var out: [V21Segment] = []
        out.reserveCapacity(wanted.count)
        var k = 0
        while k < wanted.count {
            let c0 = cs[wanted[k].chunk]
            var end = c0.offset + c0.size
            var m = k + 1
            while m < wanted.count {
                let c = cs[wanted[m].chunk]
                guard c.offset >= end, c.offset - end <= MiniBlock.readGap, c.offset + c.size - c0.offset <= MiniBlock.maxRead else { break }
                end = c.offset + c.size
                m += 1
            }
            let bytes = try await page.read(file, buffer: 1, c0.offset, end - c0.offset)
            for w in wanted[k ..< m] {
                out.append(try decode(cs[w.chunk ... w.chunk], bytes: bytes, at: c0.offset, dict: dict, layers: layers,
                                      select: w.items, fsstTable: table))
            }
            k = m
        }
        return out
    }

    /// Unwanted bytes a take reads rather than split a read in two.
    static let readGap = 64 * 1024
    /// Largest read a take merges chunks into.
    static let maxRead = 8 * 1024 * 1024
}

// MARK: - Full-zip

struct FullZip {
    let page: V21Page
    let layout: Lance_Encodings21_FullZipLayout
    let kind: V21ValueKind

    var bitsRep: Int { Int(layout.bitsRep) }
    var bitsDef: Int { Int(layout.bitsDef) }
    var cwBytes: Int {
        let t = bitsRep + bitsDef
        return t == 0 ? 0 : t <= 8 ? 1 : t <= 16 ? 2 : 4
    }

    /// Bytes of one value for fixed-width pages.
    func valueBytes() throws -> Int? {
        guard case .bitsPerValue(let b)? = layout.details else { return nil }
        guard b % 8 == 0, b > 0 else { throw LanceError.unsupported("full-zip values of \(b) bits") }
        return Int(b / 8)
    }

    var hasRepIndex: Bool {
        if bitsRep > 0 { return true }
        if case .bitsPerOffset? = layout.details { return true }
        return false
    }

    /// Reads repetition-index entries `first ... last`.
    func repIndex(_ file: LanceFileReader, _ first: Int, _ last: Int) async throws -> [UInt64] {
        guard page.sizes.count >= 2 else { throw LanceError.corrupt("full-zip page lacks its repetition index") }
        let n = page.rows + 1
        let size = Int(page.sizes[1])
        guard size % n == 0, [1, 2, 4, 8].contains(size / n) else {
            throw LanceError.corrupt("repetition index of \(size) bytes does not hold \(n) entries")
        }
        let w = size / n
        let b = try await page.read(file, buffer: 1, first * w, (last - first + 1) * w)
        return (0 ... (last - first)).map { i in
            switch w {
            case 1: return UInt64(b[i])
            case 2: return UInt64(b.load(UInt16.self, at: i))
            case 4: return UInt64(b.load(UInt32.self, at: i))
            default: return b.load(UInt64.self, at: i)
            }
        }
    }

    func byteRange(_ file: LanceFileReader, _ r: Range<Int>) async throws -> Range<Int> {
        let dataSize = page.sizes.first ?? 0
        if hasRepIndex {
            let e = try await repIndex(file, r.lowerBound, r.upperBound)
            guard e[0] <= e[e.count - 1], e[e.count - 1] <= dataSize else {
                throw LanceError.corrupt("repetition index entries \(e[0])..<\(e[e.count - 1]) are invalid for \(dataSize) bytes")
            }
            return Int(e[0]) ..< Int(e[e.count - 1])
        }
        guard let vb = try valueBytes() else { throw LanceError.corrupt("variable full-zip page without repetition index") }
        let rowBytes = vb + cwBytes
        let (total, overflow) = UInt64(page.rows).multipliedReportingOverflow(by: UInt64(rowBytes))
        guard !overflow, total <= dataSize else {
            throw LanceError.corrupt("\(page.rows) rows of \(rowBytes) bytes exceed the \(dataSize)-byte data buffer")
        }
        return r.lowerBound * rowBytes ..< r.upperBound * rowBytes
    }

    func read(_ file: LanceFileReader, rows r: Range<Int>) async throws -> V21Segment {
        if r.isEmpty { return try parse([], rows: 0) }
        let br = try await byteRange(file, r)
        let data = try await page.read(file, buffer: 0, br.lowerBound, br.count)
        return try parse([data], rows: r.count)
    }

    func take(_ file: LanceFileReader, rows: [Int]) async throws -> V21Segment {
        return try parse(try await readRuns(file, rows: rows), rows: rows.count)
    }

    /// Reads the zipped bytes of `rows` (page-relative, ascending), one buffer per run of
    /// consecutive rows. With a repetition index, the entries for the whole span are read once.
    func readRuns(_ file: LanceFileReader, rows: [Int]) async throws -> [Buffer] {
        guard let firstRow = rows.first, let lastRow = rows.last else { return [] }
        guard firstRow >= 0, lastRow < page.rows else { throw LanceError.corrupt("rows \(firstRow)...\(lastRow) outside a page of \(page.rows)") }
        var runs: [Range<Int>] = []
        var i = 0
        while i < rows.count {
            var j = i + 1
            while j < rows.count && rows[j] == rows[j - 1] + 1 { j += 1 }
            guard rows[j - 1] >= rows[i] else { throw LanceError.corrupt("taken rows are not ascending") }
            runs.append(rows[i] ..< rows[j - 1] + 1)
            i = j
        }
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(runs.count)
        if hasRepIndex && runs.count > 1 && page.sizes.count >= 2 {
            // Runs whose index entries lie within a few KB of each other share one read of the entries.
            let dataSize = page.sizes.first ?? 0
            let entryBytes = max(1, Int(page.sizes[1]) / (page.rows + 1))
            var k = 0
            while k < runs.count {
                var m = k + 1
                while m < runs.count && (runs[m].lowerBound - runs[m - 1].upperBound) * entryBytes <= FullZip.indexGap { m += 1 }
                let lo0 = runs[k].lowerBound
                let e = try await repIndex(file, lo0, runs[m - 1].upperBound)
                for r in runs[k ..< m] {
                    let lo = e[r.lowerBound - lo0], hi = e[r.upperBound - lo0]
                    guard lo <= hi, hi <= dataSize else {
                        throw LanceError.corrupt("repetition index entries \(lo)..<\(hi) are invalid for \(dataSize) bytes")
                    }
                    ranges.append(Int(lo) ..< Int(hi))
                }
                k = m
            }
        } else {
            for r in runs { ranges.append(try await byteRange(file, r)) }
        }
        var parts: [Buffer] = []
        parts.reserveCapacity(ranges.count)
        for br in ranges { parts.append(try await page.read(file, buffer: 0, br.lowerBound, br.count)) }
        return parts
    }

    /// Repetition-index bytes between two runs below which one read covers both.
    static let indexGap = 4096

    /// Control words and value positions of zipped rows (see ``locate(_:rows:)``).
    struct Located {
        var reps: [UInt16]?
        var defs: [UInt16]?
        var fixedData: [UInt8]
        var refs: FullZipValueRefs
        var items: Int
    }

    /// Walks zipped rows: [control word][value] per item. `parts` are runs of whole rows; variable
    /// values are only located (their bytes stay where they are).
    func locate(_ parts: [Buffer], rows: Int, maxVisible: Int) throws -> Located {
        let cw = cwBytes
        var reps: [UInt16]? = bitsRep > 0 ? [] : nil
        var defs: [UInt16]? = bitsDef > 0 ? [] : nil
        let defMask = bitsDef >= 32 ? UInt32.max : (UInt32(1) << UInt32(bitsDef)) - 1
        let fixedBytes = try valueBytes()
        var fixedData = [UInt8]()
        var refs = FullZipValueRefs()
        var items = 0
        let lenBytes: Int
        if case .bitsPerOffset(let b)? = layout.details {
            guard b == 32 || b == 64 else { throw LanceError.unsupported("full-zip lengths of \(b) bits") }
            lenBytes = Int(b / 8)
        } else { lenBytes = 0 }
        if let vb = fixedBytes, cw == 0 {
            // Plain runs of values.
            let count = parts.reduce(0) { $0 + $1.count }
            guard count % vb == 0, count / vb == rows else { throw LanceError.corrupt("full-zip data of \(count) bytes for \(rows) values of \(vb) bytes") }
            fixedData.reserveCapacity(count)
            for p in parts { p.withUnsafeBytes { fixedData.append(contentsOf: $0) } }
            items = rows
        } else {
            if let vb = fixedBytes { fixedData.reserveCapacity(rows * vb) }
            for (partIndex, part) in parts.enumerated() {
                let count = part.count
                var pos = 0
                try part.withUnsafeBytes { raw in
                    while pos < count {
                        var word: UInt32 = 0
                        guard pos + cw <= count else { throw LanceError.corrupt("control word truncated at byte \(pos)") }
                        for k in 0 ..< cw { word |= UInt32(raw[pos + k]) << (8 * UInt32(k)) }
                        pos += cw
                        let def = Int(word & defMask)
                        let rep = Int(bitsDef >= 32 ? 0 : word >> UInt32(bitsDef))
                        reps?.append(UInt16(truncatingIfNeeded: rep))
                        defs?.append(UInt16(truncatingIfNeeded: def))
                        guard def <= maxVisible else { continue }
                        items += 1
                        if let vb = fixedBytes {
                            guard pos + vb <= count else { throw LanceError.corrupt("value truncated at byte \(pos)") }
                            fixedData.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[pos ..< pos + vb])); pos += vb
                        } else if def == 0 {
                            guard pos + lenBytes <= count else { throw LanceError.corrupt("value length truncated at byte \(pos)") }
                            var len: UInt64 = 0
                            for k in 0 ..< lenBytes { len |= UInt64(raw[pos + k]) << (8 * UInt64(k)) }
                            pos += lenBytes
                            guard len <= UInt64(count - pos) else { throw LanceError.corrupt("value of \(len) bytes at byte \(pos) runs past the data") }
                            refs.append(part: partIndex, start: pos, length: Int(len)); pos += Int(len)
                        } else {
                            refs.append(part: partIndex, start: pos, length: 0)
                        }
                    }
                }
            }
        }
        return Located(reps: reps, defs: defs, fixedData: fixedData, refs: refs, items: items)
    }

    /// Parses zipped rows; variable values are copied (or decompressed) once, straight into the result.
    func parse(_ parts: [Buffer], rows: Int) throws -> V21Segment {
        let layers = try V21Layer.from(layout.layers)
        var probe = V21Segment(layers: layers, rep: nil, def: nil, values: .zeros(like: kind, count: 0), rows: rows)
        let loc = try locate(parts, rows: rows, maxVisible: probe.maxVisibleDef)
        probe.rep = loc.reps
        probe.def = loc.defs
        if let vb = try valueBytes() {
            probe.values = try fixedValues(loc.fixedData, valueBytes: vb, count: loc.items)
        } else {
            probe.values = try variableValues(loc.refs, parts: parts)
        }
        _ = try probe.rowStarts()
        try probe.checkValues()
        return probe
    }

    func fixedValues(_ d: [UInt8], valueBytes vb: Int, count: Int) throws -> V21Values {
        let enc = layout.valueCompression
        switch enc.compression {
        case .flat(let f)?:
            guard Int(f.bitsPerValue) == vb * 8 else { throw LanceError.corrupt("flat of \(f.bitsPerValue) bits in a \(vb)-byte full-zip value") }
            return try V21Compression.shape(d, bits: vb * 8, count: count, kind: kind)
        case .fixedSizeList(let f)?:
            return try FullZipFixedSizeList.decode(f, d, valueBytes: vb, count: count, kind: kind)
        default:
            throw V21Compression.unsupported(enc, "full-zip page")
        }
    }

    func variableValues(_ refs: FullZipValueRefs, parts: [Buffer]) throws -> V21Values {
        let enc = layout.valueCompression
        switch enc.compression {
        case .variable?:
            return refs.gather(parts)
        case .fsst(let f)?:
            return try V21Compression.fsst(refs.gather(parts), symbolTable: Array(f.symbolTable))
        case .general(let g)?:
            let inner = try refs.decompress(parts, scheme: g.compression.scheme)
            if case .fsst(let f)? = g.values.compression { return try V21Compression.fsst(inner, symbolTable: Array(f.symbolTable)) }
            return inner
        default:
            throw V21Compression.unsupported(enc, "full-zip page")
        }
    }
}
