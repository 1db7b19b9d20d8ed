// SPDX-License-Identifier: Apache-2.0

import LanceArrow
import LanceCore
import Testing
@testable import LanceDemo

@Suite struct LaionSynthTests {
    static let poolSize = 6
    static let synth = LaionSynth(seed: 42, imagePoolSize: poolSize)

    static func columnsEqual(_ a: ArrayData, _ b: ArrayData) -> Bool {
        guard a.type == b.type, a.count == b.count, a.nullCount == b.nullCount,
              a.children.count == b.children.count else { return false }
        for i in 0..<a.count where a.isNull(i) != b.isNull(i) { return false }
        if a.type.isBinaryLike { return (0..<a.count).allSatisfy { a.bytes($0) == b.bytes($0) } }
        if let w = a.type.byteWidth {
            return (0..<a.count).allSatisfy { a.buffers[0].slice($0 * w, w) == b.buffers[0].slice($0 * w, w) }
        }
        return zip(a.children, b.children).allSatisfy { columnsEqual($0, $1) }
    }

    @Test("the same seed gives identical batches; another seed gives different ones")
    func determinism() {
        let again = LaionSynth(seed: 42, imagePoolSize: Self.poolSize)
        #expect(again.images == Self.synth.images)
        let a = Self.synth.makeBatch(start: 100, count: 40)
        let b = again.makeBatch(start: 100, count: 40)
        for (k, f) in a.schema.fields.enumerated() {
            #expect(Self.columnsEqual(a.columns[k], b.columns[k]), "column \(f.name) differs")
        }
        let other = LaionSynth(seed: 43, imagePoolSize: Self.poolSize).makeBatch(start: 100, count: 40)
        for name in ["caption", "url", "similarity", "img_emb", "image"] {
            #expect(!Self.columnsEqual(a.column(name)!, other.column(name)!), "\(name) ignores the seed")
        }
    }

    @Test("the concurrent constructor builds the same pool and rows")
    func concurrentPool() async {
        let concurrent = await LaionSynth.make(seed: 42, imagePoolSize: Self.poolSize, width: 3)
        #expect(concurrent.images == Self.synth.images)
        let a = concurrent.makeBatch(start: 3, count: 5), b = Self.synth.makeBatch(start: 3, count: 5)
        for k in a.columns.indices { #expect(Self.columnsEqual(a.columns[k], b.columns[k])) }
    }

    @Test("rows depend only on their key, not on how the batches are cut")
    func rowsIndependentOfBatching() {
        let whole = Self.synth.makeBatch(start: 0, count: 30)
        let parts = [Self.synth.makeBatch(start: 0, count: 7), Self.synth.makeBatch(start: 7, count: 23)]
        let joined = try! RecordBatch.concat(parts)
        for (k, f) in whole.schema.fields.enumerated() {
            #expect(Self.columnsEqual(whole.columns[k], joined.columns[k]), "column \(f.name) differs")
        }
        #expect(Self.synth.makeBatch(start: 5, count: 0).count == 0)
    }

    @Test("schema and value ranges")
    func schemaAndRanges() throws {
        let n = 400
        let batch = Self.synth.makeBatch(start: 19_990, count: n)
        #expect(batch.count == n)
        #expect(batch.schema.names == ["key", "image", "image_path", "caption", "url", "NSFW", "LICENSE", "similarity",
                                       "width", "height", "original_width", "original_height", "exif", "md5",
                                       "status", "error_message", "img_emb"])
        #expect(batch.schema.field(named: "image")?.type == .largeBinary)
        #expect(batch.schema.field(named: "img_emb")?.type.description == "fixed_size_list<item: float>[768]")
        let key = batch.column("key")!, path = batch.column("image_path")!, caption = batch.column("caption")!
        let nsfw = batch.column("NSFW")!, license = batch.column("LICENSE")!, sim = batch.column("similarity")!
        let url = batch.column("url")!, status = batch.column("status")!, error = batch.column("error_message")!
        let width = batch.column("width")!, height = batch.column("height")!, exif = batch.column("exif")!
        let ow = batch.column("original_width")!, oh = batch.column("original_height")!
        var nsfwCount = 0, questionLicences = 0, titleCase = 0
        let vocabulary = Set(Vocabulary.words)
        for i in 0..<n {
            let k = 19_990 + i
            #expect(key.value(i, as: Int64.self) == Int64(k))
            #expect(path.string(i) == (k < 20_000 ? "00001/0000\(k).jpg" : "00002/0000\(k).jpg"))
            let words = caption.string(i)!.split(separator: " ")
            #expect(words.count >= 3 && words.count <= 27)
            let plain = words.filter { $0.allSatisfy(\.isLetter) }
            #expect(plain.count >= 1)
            #expect(plain.allSatisfy { vocabulary.contains($0.lowercased()) }, "\(words)")
            if words.count > 3 && words.dropFirst().allSatisfy({ $0.first!.isUppercase || !$0.first!.isLetter }) { titleCase += 1 }
            #expect(url.string(i)!.hasPrefix("http"))
            let flag = nsfw.value(i, as: Int64.self)
            #expect(flag == 0 || flag == 1)
            nsfwCount += Int(flag)
            if license.string(i) == "?" { questionLicences += 1 }
            let s = sim.value(i, as: Double.self)
            #expect(s >= 0.25 && s <= 0.48)
            let w = width.value(i, as: Int64.self), h = height.value(i, as: Int64.self)
            #expect(max(w, h) >= 100 && max(w, h) <= 640 && min(w, h) >= 16)
            #expect(ow.value(i, as: Int64.self) >= w && oh.value(i, as: Int64.self) >= h)
            #expect(exif.string(i)!.hasPrefix("{") && exif.string(i)!.hasSuffix("}"))
            #expect(status.string(i) == "success")
            #expect(error.isNull(i))
        }
        #expect(nsfwCount > 5 && nsfwCount < 60, "NSFW rate \(nsfwCount)/\(n)")
        #expect(questionLicences > n * 9 / 10)
        #expect(titleCase > n / 5 && titleCase < n * 7 / 10, "title case \(titleCase)/\(n)")
        let sims = (0..<n).map { sim.value($0, as: Double.self) }
        let mean = sims.reduce(0, +) / Double(n)
        #expect(abs(mean - 0.325) < 0.01, "similarity mean \(mean)")
    }

    @Test("embeddings are unit length and clustered around a shared direction")
    func embeddings() {
        let n = 200
        let emb = Self.synth.makeBatch(start: 0, count: n).column("img_emb")!
        #expect(emb.count == n && emb.nullCount == 0)
        let items = emb.children[0]
        #expect(items.count == n * 768)
        let vectors = (0..<n).map { r in (0..<768).map { items.value(r * 768 + $0, as: Float.self) } }
        for v in vectors {
            let norm = v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
            #expect(abs(norm - 1) < 1e-4)
        }
        func cosine(_ a: [Float], _ b: [Float]) -> Double { zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) } }
        var sum = 0.0, best = 0.0
        for i in 1..<n {
            sum += cosine(vectors[0], vectors[i])
            best = max(best, cosine(vectors[i - 1], vectors[i]))
        }
        let meanCos = sum / Double(n - 1)
        // Random 768-d unit vectors have cosine ≈ 0 ± 0.04; the shared direction and clusters lift it.
        #expect(meanCos > 0.1 && meanCos < 0.95, "mean cosine \(meanCos)")
        let queries = Self.synth.queryEmbeddings(count: 3)
        #expect(queries.count == 3 && queries.allSatisfy { $0.count == 768 })
        #expect(queries == Self.synth.queryEmbeddings(count: 3))
    }

    @Test("MD5 of known inputs")
    func md5KnownVectors() {
        #expect(MD5.hex([]) == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(MD5.hex(Array("abc".utf8)) == "900150983cd24fb0d6963f7d28e17f72")
        #expect(MD5.hex(Array("The quick brown fox jumps over the lazy dog".utf8)) == "9e107d9d372bb6826bd81d3542a419d6")
        #expect(MD5.hex(Array("12345678901234567890123456789012345678901234567890123456789012345678901234567890".utf8))
                == "57edf4a22be3c955ac49da2e2107b67a")
    }

    @Test("md5 column matches hashlib, and the JPEGs decode in Pillow with the row's size")
    func imagesAgainstPython() throws {
        let batch = Self.synth.makeBatch(start: 0, count: 12)
        let image = batch.column("image")!, md5 = batch.column("md5")!
        let jpegs = (0..<batch.count).map { image.bytes($0) }
        let decoded = try Pillow.decode(jpegs)
        for i in 0..<batch.count {
            #expect(decoded[i].md5 == md5.string(i))
            #expect(MD5.hex(jpegs[i]) == md5.string(i))
            #expect(decoded[i].format == "JPEG")
            #expect(Int64(decoded[i].width) == batch.column("width")!.value(i, as: Int64.self))
            #expect(Int64(decoded[i].height) == batch.column("height")!.value(i, as: Int64.self))
        }
        // The whole pool (all sizes and qualities drawn) decodes too.
        let pool = try Pillow.decode(Self.synth.images.map(\.jpeg))
        for (d, img) in zip(pool, Self.synth.images) {
            #expect(d.width == img.width && d.height == img.height && d.md5 == img.md5)
            #expect(img.quality >= 55 && img.quality <= 85)
        }
    }
}
