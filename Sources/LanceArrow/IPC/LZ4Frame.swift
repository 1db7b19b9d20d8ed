import LanceCore

/// The LZ4 frame format (as Arrow IPC's LZ4_FRAME body compression uses it): frames of linked or
/// independent blocks, optional checksums (skipped, not verified), skippable frames ignored.
enum LZ4Frame {
    static func error(_ m: String) -> LanceError { LanceError.corrupt("LZ4 frame: \(m)") }

    static func decompress(_ input: UnsafeRawBufferPointer, limit: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(min(limit, 1 << 26))
        var p = 0
        func u32(_ at: Int) throws -> UInt32 {
            guard at + 4 <= input.count else { throw error("truncated") }
            return UInt32(littleEndian: input.loadUnaligned(fromByteOffset: at, as: UInt32.self))
        }
        while p < input.count {
            let magic = try u32(p)
            p += 4
            if magic & 0xFFFF_FFF0 == 0x184D_2A50 {  // skippable frame
                let n = Int(try u32(p))
                guard n <= input.count - p - 4 else { throw error("truncated skippable frame") }
                p += 4 + n
                continue
            }
            guard magic == 0x184D_2204 else { throw error("bad magic \(String(magic, radix: 16))") }
            guard p + 2 <= input.count else { throw error("truncated header") }
            let flg = input[p], bd = input[p + 1]
            p += 2
            guard flg >> 6 == 1 else { throw error("unsupported version") }
            guard bd & 0x8F == 0 else { throw error("reserved bits set") }
            let blockChecksum = flg & 0x10 != 0
            let contentSize = flg & 0x08 != 0
            let contentChecksum = flg & 0x04 != 0
            let dictID = flg & 0x01 != 0
            let maxBlock = [0, 0, 0, 0, 1 << 16, 1 << 18, 1 << 20, 1 << 22][Int(bd >> 4 & 7)]
            guard maxBlock > 0 else { throw error("invalid block size code") }
            if contentSize { p += 8 }
            if dictID { throw LanceError.unsupported("LZ4 frames with a dictionary id") }
            p += 1  // header checksum
            guard p <= input.count else { throw error("truncated header") }
            let frameStart = out.count
            while true {
                let word = try u32(p)
                p += 4
                if word == 0 { break }
                let size = Int(word & 0x7FFF_FFFF)
                guard size <= maxBlock, size <= input.count - p else { throw error("block of \(size) bytes out of range") }
                if word & 0x8000_0000 != 0 {
                    guard out.count + size <= limit else { throw error("output exceeds \(limit) bytes") }
                    out.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[p ..< p + size]))
                } else {
                    try decodeBlock(UnsafeRawBufferPointer(rebasing: input[p ..< p + size]), into: &out,
                                    windowStart: frameStart, limit: limit)
                }
                p += size
                if blockChecksum { p += 4 }
            }
            if contentChecksum { p += 4 }
            guard p <= input.count else { throw error("truncated checksum") }
        }
        return out
    }

    /// Decodes one LZ4 block, appending to `out`; matches may reach back to `windowStart`.
    static func decodeBlock(_ src: UnsafeRawBufferPointer, into out: inout [UInt8], windowStart: Int, limit: Int) throws {
        var i = 0
        let n = src.count
        func length(_ base: Int) throws -> Int {
            var len = base
            if base == 15 {
                while true {
                    guard i < n else { throw error("truncated length") }
                    let b = Int(src[i])
                    i += 1
                    len += b
                    guard len <= limit else { throw error("length exceeds the limit") }
                    if b != 255 { break }
                }
            }
            return len
        }
        while i < n {
            let token = Int(src[i])
            i += 1
            let litLen = try length(token >> 4)
            guard litLen <= n - i else { throw error("literals past the block end") }
            guard out.count + litLen <= limit else { throw error("output exceeds \(limit) bytes") }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: src[i ..< i + litLen]))
            i += litLen
            if i == n { break }  // last sequence has no match
            guard i + 2 <= n else { throw error("truncated match offset") }
            let offset = Int(src[i]) | Int(src[i + 1]) << 8
            i += 2
            guard offset > 0, offset <= out.count - windowStart else { throw error("match offset \(offset) out of range") }
            let matchLen = try length(token & 15) + 4
            guard out.count + matchLen <= limit else { throw error("output exceeds \(limit) bytes") }
            var from = out.count - offset
            for _ in 0 ..< matchLen {
                out.append(out[from])
                from += 1
            }
        }
    }
}
