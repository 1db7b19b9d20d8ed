/// Zstandard (RFC 8878) in pure Swift.
///
/// Decoding supports the whole frame format except dictionaries (a frame naming a dictionary throws
/// `.unsupported`). Encoding produces standard frames readable by libzstd; see `compress(_:level:checksum:)`.
public enum Zstd {
    /// Decompresses every frame in `input` (skippable frames are skipped) and returns the concatenated
    /// output. Throws if the input is truncated or corrupt, or if the output would exceed `limit` bytes.
    public static func decompress(_ input: UnsafeRawBufferPointer, limit: Int = 1 << 32) throws(CodecError) -> [UInt8] {
        guard let raw = input.baseAddress, input.count > 0 else { throw CodecError(.truncated, "zstd: empty input") }
        let src = raw.assumingMemoryBound(to: UInt8.self)
        let n = input.count
        let limit = max(0, limit)
        let scan = try ZstdDecoder.scan(src, n, limit: limit)
        let state = ZstdDecoderState()
        if let exact = scan.exact {
            // Every frame declares its size: decode straight into the result.
            var failure: CodecError? = nil
            let result = [UInt8](unsafeUninitializedCapacity: exact + zstdSlack) { buf, initialized in
                var out = ZstdOutput(base: buf.baseAddress!, capacity: exact, growable: false, maxCapacity: exact, limit: limit)
                do throws(CodecError) {
                    try ZstdDecoder.decodeFrames(src, n, &out, state)
                    if out.count != exact { throw CodecError(.corrupt, "zstd: output size differs from declared sizes") }
                    initialized = exact
                } catch {
                    failure = error
                    initialized = 0
                }
            }
            if let failure { throw failure }
            return result
        }
        // Some frame has no declared size: grow as needed (bounded by the limit and by what the blocks can hold).
        let maxCap = min(limit, scan.bound)
        let start = min(maxCap, max(n * 4, 1 << 16))
        var out = ZstdOutput(base: .allocate(capacity: start + zstdSlack), capacity: start, growable: true,
                             maxCapacity: maxCap, limit: limit)
        defer { out.base.deallocate() }
        try ZstdDecoder.decodeFrames(src, n, &out, state)
        return Array(UnsafeBufferPointer(start: out.base, count: out.count))
    }

    /// Bytes past the end of the output that `Decoder.decompress(_:into:count:)` may use as scratch.
    public static let outputSlack = zstdSlack

    /// A decoder whose tables are reused across calls: for many small frames (one per value) decoded
    /// into memory the caller owns. Not thread-safe; use one per thread.
    public final class Decoder {
        let state = ZstdDecoderState()

        public init() {}

        /// Decodes every frame in `input` into `output`, which must decode to exactly `count` bytes.
        /// `output` must have room for `count + Zstd.outputSlack` bytes: the decoder's wide copies may
        /// scribble past `count` (the bytes there are unspecified afterwards).
        public func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutablePointer<UInt8>,
                               count: Int) throws(CodecError) {
            guard let raw = input.baseAddress, input.count > 0 else { throw CodecError(.truncated, "zstd: empty input") }
            guard count >= 0 else { throw CodecError(.corrupt, "zstd: negative output size") }
            var out = ZstdOutput(base: output, capacity: count, growable: false, maxCapacity: count, limit: count)
            try ZstdDecoder.decodeFrames(raw.assumingMemoryBound(to: UInt8.self), input.count, &out, state)
            if out.count != count { throw CodecError(.corrupt, "zstd: decoded \(out.count) bytes, expected \(count)") }
        }
    }

    /// Convenience over a byte array.
    public static func decompress(_ input: [UInt8], limit: Int = 1 << 32) throws(CodecError) -> [UInt8] {
        var result: Result<[UInt8], CodecError> = .success([])
        input.withUnsafeBytes { raw in
            do throws(CodecError) { result = .success(try decompress(raw, limit: limit)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    /// The content size declared by the first frame's header, if any (nil when absent or unreadable).
    public static func frameContentSize(_ input: UnsafeRawBufferPointer) -> UInt64? {
        guard let raw = input.baseAddress, input.count >= 5 else { return nil }
        let p = raw.assumingMemoryBound(to: UInt8.self)
        guard zstdLoad32(p) == zstdMagic else { return nil }
        return (try? ZstdFrameHeader.parse(p + 4, input.count - 4))?.contentSize
    }

    /// Compresses `input` into one zstd frame readable by the reference implementation.
    ///
    /// The frame always declares its content size and carries an XXH64 content checksum. `level` only
    /// sets the match-search effort (≤ 0 fastest, 1–2, 3–8, 9–15 lazy, ≥ 16 deepest); it is not
    /// comparable to libzstd's levels. Blocks are raw, RLE or compressed (raw/RLE/Huffman literals,
    /// predefined or per-block FSE/RLE sequence tables), whichever is smallest.
    public static func compress(_ input: UnsafeRawBufferPointer, level: Int = 3) -> [UInt8] {
        compress(input, level: level, checksum: true)
    }

    /// Convenience over a byte array.
    public static func compress(_ input: [UInt8], level: Int = 3, checksum: Bool = true) -> [UInt8] {
        input.withUnsafeBytes { compress($0, level: level, checksum: checksum) }
    }
}
