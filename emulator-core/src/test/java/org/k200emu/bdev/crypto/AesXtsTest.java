package org.k200emu.bdev.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.k200emu.bdev.TestIo.assertSameBytes;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.k200emu.testing.Bytes;

class AesXtsTest {

    /** IEEE 1619-2007 annex B, vectors 10 to 14 (XTS-AES-256): Key1 = digits of e, Key2 = digits of pi. */
    static final String KEY1 = "2718281828459045235360287471352662497757247093699959574966967627";
    static final String KEY2 = "3141592653589793238462643383279502884197169399375105820974944592";

    /** Vector 10: data unit sequence number 0xff. */
    private static final String CT10 =
            "1c3b3a102f770386e4836c99e370cf9bea00803f5e482357a4ae12d414a3e63b" +
            "5d31e276f8fe4a8d66b317f9ac683f44680a86ac35adfc3345befecb4bb188fd" +
            "5776926c49a3095eb108fd1098baec70aaa66999a72a82f27d848b21d4a741b0" +
            "c5cd4d5fff9dac89aeba122961d03a757123e9870f8acf1000020887891429ca" +
            "2a3e7a7d7df7b10355165c8b9a6d0a7de8b062c4500dc4cd120c0f7418dae3d0" +
            "b5781c34803fa75421c790dfe1de1834f280d7667b327f6c8cd7557e12ac3a0f" +
            "93ec05c52e0493ef31a12d3d9260f79a289d6a379bc70c50841473d1a8cc81ec" +
            "583e9645e07b8d9670655ba5bbcfecc6dc3966380ad8fecb17b6ba02469a020a" +
            "84e18e8f84252070c13e9f1f289be54fbc481457778f616015e1327a02b140f1" +
            "505eb309326d68378f8374595c849d84f4c333ec4423885143cb47bd71c5edae" +
            "9be69a2ffeceb1bec9de244fbe15992b11b77c040f12bd8f6a975a44a0f90c29" +
            "a9abc3d4d893927284c58754cce294529f8614dcd2aba991925fedc4ae74ffac" +
            "6e333b93eb4aff0479da9a410e4450e0dd7ae4c6e2910900575da401fc07059f" +
            "645e8b7e9bfdef33943054ff84011493c27b3429eaedb4ed5376441a77ed4385" +
            "1ad77f16f541dfd269d50d6a5f14fb0aab1cbb4c1550be97f7ab4066193c4caa" +
            "773dad38014bd2092fa755c824bb5e54c4f36ffda9fcea70b9c6e693e148c151";

    /** Vector 11: data unit sequence number 0xffff. */
    private static final String CT11 =
            "77a31251618a15e6b92d1d66dffe7b50b50bad552305ba0217a610688eff7e11" +
            "e1d0225438e093242d6db274fde801d4cae06f2092c728b2478559df58e837c2" +
            "469ee4a4fa794e4bbc7f39bc026e3cb72c33b0888f25b4acf56a2a9804f1ce6d" +
            "3d6e1dc6ca181d4b546179d55544aa7760c40d06741539c7e3cd9d2f6650b201" +
            "3fd0eeb8c2b8e3d8d240ccae2d4c98320a7442e1c8d75a42d6e6cfa4c2eca179" +
            "8d158c7aecdf82490f24bb9b38e108bcda12c3faf9a21141c3613b58367f922a" +
            "aa26cd22f23d708dae699ad7cb40a8ad0b6e2784973dcb605684c08b8d6998c6" +
            "9aac049921871ebb65301a4619ca80ecb485a31d744223ce8ddc2394828d6a80" +
            "470c092f5ba413c3378fa6054255c6f9df4495862bbb3287681f931b687c888a" +
            "bf844dfc8fc28331e579928cd12bd2390ae123cf03818d14dedde5c0c24c8ab0" +
            "18bfca75ca096f2d531f3d1619e785f1ada437cab92e980558b3dce1474afb75" +
            "bfedbf8ff54cb2618e0244c9ac0d3c66fb51598cd2db11f9be39791abe447c63" +
            "094f7c453b7ff87cb5bb36b7c79efb0872d17058b83b15ab0866ad8a58656c5a" +
            "7e20dbdf308b2461d97c0ec0024a2715055249cf3b478ddd4740de654f75ca68" +
            "6e0d7345c69ed50cdc2a8b332b1f8824108ac937eb050585608ee734097fc090" +
            "54fbff89eeaeea791f4a7ab1f9868294a4f9e27b42af8100cb9d59cef9645803";

    /** Vector 12: data unit sequence number 0xffffff. */
    private static final String CT12 =
            "e387aaa58ba483afa7e8eb469778317ecf4cf573aa9d4eac23f2cdf914e4e200" +
            "a8b490e42ee646802dc6ee2b471b278195d60918ececb44bf79966f83faba049" +
            "9298ebc699c0c8634715a320bb4f075d622e74c8c932004f25b41e361025b5a8" +
            "7815391f6108fc4afa6a05d9303c6ba68a128a55705d415985832fdeaae6c8e1" +
            "9110e84d1b1f199a2692119edc96132658f09da7c623efcec712537a3d94c0bf" +
            "5d7e352ec94ae5797fdb377dc1551150721adf15bd26a8efc2fcaad56881fa9e" +
            "62462c28f30ae1ceaca93c345cf243b73f542e2074a705bd2643bb9f7cc79bb6" +
            "e7091ea6e232df0f9ad0d6cf502327876d82207abf2115cdacf6d5a48f6c1879" +
            "a65b115f0f8b3cb3c59d15dd8c769bc014795a1837f3901b5845eb491adfefe0" +
            "97b1fa30a12fc1f65ba22905031539971a10f2f36c321bb51331cdefb39e3964" +
            "c7ef079994f5b69b2edd83a71ef549971ee93f44eac3938fcdd61d01fa71799d" +
            "a3a8091c4c48aa9ed263ff0749df95d44fef6a0bb578ec69456aa5408ae32c7a" +
            "f08ad7ba8921287e3bbee31b767be06a0e705c864a769137df28292283ea81a2" +
            "480241b44d9921cdbec1bc28dc1fda114bd8e5217ac9d8ebafa720e9da4f9ace" +
            "231cc949e5b96fe76ffc21063fddc83a6b8679c00d35e09576a875305bed5f36" +
            "ed242c8900dd1fa965bc950dfce09b132263a1eef52dd6888c309f5a7d712826";

    /** Vector 13: data unit sequence number 0xffffffff. */
    private static final String CT13 =
            "bf53d2dade78e822a4d949a9bc6766b01b06a8ef70d26748c6a7fc36d80ae4c5" +
            "520f7c4ab0ac8544424fa405162fef5a6b7f229498063618d39f0003cb5fb8d1" +
            "c86b643497da1ff945c8d3bedeca4f479702a7a735f043ddb1d6aaade3c4a0ac" +
            "7ca7f3fa5279bef56f82cd7a2f38672e824814e10700300a055e1630b8f1cb0e" +
            "919f5e942010a416e2bf48cb46993d3cb6a51c19bacf864785a00bc2ecff15d3" +
            "50875b246ed53e68be6f55bd7e05cfc2b2ed6432198a6444b6d8c247fab941f5" +
            "69768b5c429366f1d3f00f0345b96123d56204c01c63b22ce78baf116e525ed9" +
            "0fdea39fa469494d3866c31e05f295ff21fea8d4e6e13d67e47ce722e9698a1c" +
            "1048d68ebcde76b86fcf976eab8aa9790268b7068e017a8b9b749409514f1053" +
            "027fd16c3786ea1bac5f15cb79711ee2abe82f5cf8b13ae73030ef5b9e4457e7" +
            "5d1304f988d62dd6fc4b94ed38ba831da4b7634971b6cd8ec325d9c61c00f1df" +
            "73627ed3745a5e8489f3a95c69639c32cd6e1d537a85f75cc844726e8a72fc00" +
            "77ad22000f1d5078f6b866318c668f1ad03d5a5fced5219f2eabbd0aa5c0f460" +
            "d183f04404a0d6f469558e81fab24a167905ab4c7878502ad3e38fdbe62a4155" +
            "6cec37325759533ce8f25f367c87bb5578d667ae93f9e2fd99bcbc5f2fbba88c" +
            "f6516139420fcff3b7361d86322c4bd84c82f335abb152c4a93411373aaa8220";

    /** Vector 14: data unit sequence number 0xffffffffff. */
    private static final String CT14 =
            "64497e5a831e4a932c09be3e5393376daa599548b816031d224bbf50a818ed23" +
            "50eae7e96087c8a0db51ad290bd00c1ac1620857635bf246c176ab463be30b80" +
            "8da548081ac847b158e1264be25bb0910bbc92647108089415d45fab1b3d2604" +
            "e8a8eff1ae4020cfa39936b66827b23f371b92200be90251e6d73c5f86de5fd4" +
            "a950781933d79a28272b782a2ec313efdfcc0628f43d744c2dc2ff3dcb66999b" +
            "50c7ca895b0c64791eeaa5f29499fb1c026f84ce5b5c72ba1083cddb5ce45434" +
            "631665c333b60b11593fb253c5179a2c8db813782a004856a1653011e93fb6d8" +
            "76c18366dd8683f53412c0c180f9c848592d593f8609ca736317d356e13e2bff" +
            "3a9f59cd9aeb19cd482593d8c46128bb32423b37a9adfb482b99453fbe25a41b" +
            "f6feb4aa0bef5ed24bf73c762978025482c13115e4015aac992e5613a3b5c2f6" +
            "85b84795cb6e9b2656d8c88157e52c42f978d8634c43d06fea928f2822e465aa" +
            "6576e9bf419384506cc3ce3c54ac1a6f67dc66f3b30191e698380bc999b05abc" +
            "e19dc0c6dcc2dd001ec535ba18deb2df1a101023108318c75dc98611a09dc48a" +
            "0acdec676fabdf222f07e026f059b672b56e5cbc8e1d21bbd867dd9272120546" +
            "81d70ea737134cdfce93b6f82ae22423274e58a0821cc5502e2d0ab4585e94de" +
            "6975be5e0b4efce51cd3e70c25a1fbbbd609d273ad5b0d59631c531f6a0a57b9";

    /** The plaintext of vectors 10 to 14: bytes 00..ff, twice (one 512-byte data unit). */
    static byte[] vectorPlaintext() {
        byte[] p = new byte[512];
        for (int i = 0; i < p.length; i++) {
            p[i] = (byte) i;
        }
        return p;
    }

    static byte[] vectorKey() {
        return ByteBufUtil.decodeHexDump(KEY1 + KEY2);
    }

    /** A random key with distinct halves, fixed by the seed. */
    static byte[] randomKey(long seed) {
        return Bytes.random(seed, AesXts.KEY_BYTES);
    }

    @ParameterizedTest(name = "vector {0}: i = {1}")
    @CsvSource({
        "10, ff",
        "11, ffff",
        "12, ffffff",
        "13, ffffffff",
        "14, ffffffffff",
    })
    void ieee1619Vectors(int vector, String sequence) {
        byte[] expected = ByteBufUtil.decodeHexDump(ciphertext(vector));
        long unit = Long.parseLong(sequence, 16);
        try (AesXts xts = new AesXts(vectorKey())) {
            byte[] data = vectorPlaintext();
            xts.encrypt(data, 0, data.length, unit);
            assertSameBytes(data, expected, "vector " + vector + " ciphertext");
            xts.decrypt(data, 0, data.length, unit);
            assertSameBytes(data, vectorPlaintext(), "vector " + vector + " decrypted");

            // The same through ByteBufs, direct and heap, in place and from one buffer to another.
            for (ByteBuf buf : List.of(Unpooled.directBuffer(600), Unpooled.buffer(600))) {
                try {
                    buf.writeZero(40).writeBytes(vectorPlaintext()).writeZero(48);
                    xts.encrypt(buf, 40, 512, unit);
                    assertSameBytes(ByteBufUtil.getBytes(buf, 40, 512), expected, "in place, " + buf);
                    assertThat(ByteBufUtil.getBytes(buf, 0, 40)).as("bytes before the unit").containsOnly(0);
                    assertThat(ByteBufUtil.getBytes(buf, 552, 48)).as("bytes after the unit").containsOnly(0);
                    ByteBuf out = Unpooled.directBuffer(512).writeZero(512);
                    try {
                        xts.decrypt(buf, 40, out, 0, 512, unit);
                        assertSameBytes(ByteBufUtil.getBytes(out), vectorPlaintext(), "decrypted into another buffer");
                        assertSameBytes(ByteBufUtil.getBytes(buf, 40, 512), expected, "source left alone");
                    } finally {
                        out.release();
                    }
                } finally {
                    buf.release();
                }
            }
        }
    }

    private static String ciphertext(int vector) {
        switch (vector) {
            case 10: return CT10;
            case 11: return CT11;
            case 12: return CT12;
            case 13: return CT13;
            case 14: return CT14;
            default: throw new IllegalArgumentException("no vector " + vector);
        }
    }

    /**
     * A second opinion for 4 KiB units, short units, and 64-bit LBAs, which the standard's
     * vectors do not cover:
     * IEEE 1619 section 5 done the slow, literal way (one AES call per block, alpha multiplication
     * byte by byte as in 5.2).
     */
    @ParameterizedTest(name = "unit {0} B")
    @ValueSource(ints = {16, 32, 48, 64, 80, 112, 512, 4096})
    void matchesALiteralReadingOfTheStandard(int unitBytes) throws Exception {
        SplittableRandom random = new SplittableRandom(1619);
        byte[] key = randomKey(77);
        long[] lbas = {0, 1, 255, 256, 0x7fffffffL, 0x80000000L, Long.MAX_VALUE, -1L, random.nextLong(), random.nextLong()};
        try (AesXts xts = new AesXts(key)) {
            for (long lba : lbas) {
                byte[] plain = Bytes.random(lba, unitBytes);
                byte[] expected = literalXts(key, lba, plain);
                byte[] data = plain.clone();
                xts.encrypt(data, 0, data.length, lba);
                assertSameBytes(data, expected, "LBA " + Long.toUnsignedString(lba));
            }
        }
    }

    private static byte[] literalXts(byte[] key, long dataUnit, byte[] plain) throws Exception {
        Cipher k1 = Cipher.getInstance("AES/ECB/NoPadding");
        k1.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, 0, 32, "AES"));
        Cipher k2 = Cipher.getInstance("AES/ECB/NoPadding");
        k2.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, 32, 32, "AES"));
        byte[] i = new byte[16];
        for (int b = 0; b < 8; b++) {
            i[b] = (byte) (dataUnit >>> (8 * b));
        }
        byte[] t = k2.doFinal(i);
        byte[] out = new byte[plain.length];
        for (int j = 0; j < plain.length / 16; j++) {
            byte[] pp = new byte[16];
            for (int b = 0; b < 16; b++) {
                pp[b] = (byte) (plain[16 * j + b] ^ t[b]);
            }
            byte[] cc = k1.doFinal(pp);
            for (int b = 0; b < 16; b++) {
                out[16 * j + b] = (byte) (cc[b] ^ t[b]);
            }
            int carryIn = 0;
            for (int b = 0; b < 16; b++) {
                int carryOut = (t[b] >> 7) & 1;
                t[b] = (byte) (((t[b] & 0xff) << 1) + carryIn);
                carryIn = carryOut;
            }
            if (carryIn != 0) {
                t[0] ^= (byte) 0x87;
            }
        }
        return out;
    }

    @ParameterizedTest(name = "unit {0} B")
    @ValueSource(ints = {512, 4096})
    void roundTripsAtRandomLbas(int unitBytes) {
        SplittableRandom random = new SplittableRandom(42);
        try (AesXts xts = new AesXts(randomKey(1))) {
            ByteBuf buf = Unpooled.directBuffer(unitBytes);
            try {
                for (int round = 0; round < 200; round++) {
                    long lba = random.nextLong(1L << 40);
                    byte[] plain = Bytes.random(round, unitBytes);
                    buf.clear().writeBytes(plain);
                    xts.encrypt(buf, 0, unitBytes, lba);
                    byte[] cipher = ByteBufUtil.getBytes(buf);
                    assertThat(Arrays.equals(cipher, plain)).as("ciphertext differs from plaintext").isFalse();
                    xts.decrypt(buf, 0, unitBytes, lba);
                    assertSameBytes(ByteBufUtil.getBytes(buf), plain, "round trip at LBA " + lba);
                    assertThat(buf.readerIndex()).isZero();
                    assertThat(buf.writerIndex()).isEqualTo(unitBytes);
                }
            } finally {
                buf.release();
            }
        }
    }

    @Test
    void theTweakMakesEveryLbaAndEveryBlockOfAUnitDifferent() {
        try (AesXts xts = new AesXts(randomKey(2))) {
            byte[] a = new byte[4096];
            byte[] b = new byte[4096];
            xts.encrypt(a, 0, a.length, 1000);
            xts.encrypt(b, 0, b.length, 1001);
            assertThat(Arrays.equals(a, b)).isFalse();
            // Same plaintext in every 16-byte block, yet no two ciphertext blocks are equal.
            Set<String> blocks = new HashSet<>();
            for (int off = 0; off < a.length; off += 16) {
                blocks.add(Bytes.hex(Arrays.copyOfRange(a, off, off + 16)));
            }
            assertThat(blocks).hasSize(256);
        }
    }

    @Test
    void wrongKeyDoesNotDecrypt() {
        byte[] plain = Bytes.random(5, 512);
        byte[] data = plain.clone();
        try (AesXts right = new AesXts(randomKey(3)); AesXts wrong = new AesXts(randomKey(4))) {
            right.encrypt(data, 0, 512, 7);
            wrong.decrypt(data, 0, 512, 7);
            assertThat(Arrays.equals(data, plain)).isFalse();
        }
    }

    @Test
    void rejectsAKeyWhoseHalvesAreEqual() {
        byte[] half = Bytes.random(9, 32);
        byte[] key = new byte[64];
        System.arraycopy(half, 0, key, 0, 32);
        System.arraycopy(half, 0, key, 32, 32);
        assertThatThrownBy(() -> new AesXts(key)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("halves must differ");
        assertThatThrownBy(() -> new AesXts(new byte[64])).as("all zero").isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("halves must differ");
        key[63] ^= 1;
        new AesXts(key).close(); // one bit apart is a legal key
    }

    @Test
    void rejectsAKeyOfTheWrongLength() {
        assertThatThrownBy(() -> new AesXts(new byte[32])).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("AES-256-XTS key must be 64 bytes, not 32 bytes");
        assertThatThrownBy(() -> new AesXts(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("AES-256-XTS key must be 64 bytes, not null");
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 8, 15, 17, 520 + 4})
    void rejectsUnitsThatAreNotWholeAesBlocks(int length) {
        try (AesXts xts = new AesXts(randomKey(6))) {
            byte[] data = new byte[Math.max(length, 16)];
            assertThatThrownBy(() -> xts.encrypt(data, 0, length, 0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("multiple of 16");
        }
    }

    @Test
    void copiesTheKeyAndWipesItOnClose() {
        byte[] key = randomKey(8);
        byte[] plain = Bytes.random(8, 512);
        AesXts xts = new AesXts(key);
        byte[] expected = plain.clone();
        xts.encrypt(expected, 0, 512, 3);
        Arrays.fill(key, (byte) 0x5a); // the caller wipes its copy: ours must not change
        byte[] again = plain.clone();
        xts.encrypt(again, 0, 512, 3);
        assertSameBytes(again, expected, "after the caller wiped its array");

        assertThat(xts.keyWiped()).isFalse();
        xts.close();
        assertThat(xts.keyWiped()).isTrue();
        assertThatThrownBy(() -> xts.encrypt(again, 0, 512, 3)).isInstanceOf(IllegalStateException.class)
                .hasMessage("AES-256-XTS key closed");
    }

    @Test
    void neverPrintsTheKey() {
        byte[] key = vectorKey();
        AesXts xts = new AesXts(key);
        assertNoKeyIn(xts.toString(), key);
        xts.close();
        assertNoKeyIn(xts.toString(), key);

        byte[] equal = new byte[64];
        System.arraycopy(key, 0, equal, 0, 32);
        System.arraycopy(key, 0, equal, 32, 32);
        assertThatThrownBy(() -> new AesXts(equal)).satisfies(e -> assertNoKeyIn(e.getMessage(), equal));
        byte[] shortKey = Arrays.copyOf(key, 48);
        assertThatThrownBy(() -> new AesXts(shortKey)).satisfies(e -> assertNoKeyIn(e.getMessage(), shortKey));
    }

    /** Neither half of the key (nor a 6-byte piece of it) in hex, upper or lower case, nor the key in Base64 or Arrays.toString. */
    static void assertNoKeyIn(String text, byte[] key) {
        String lower = text.toLowerCase(Locale.ROOT);
        String hex = Bytes.hex(key);
        for (int i = 0; i + 12 <= hex.length(); i += 12) {
            assertThat(lower).as("key bytes in \"%s\"", text).doesNotContain(hex.substring(i, i + 12));
        }
        assertThat(text).doesNotContain(Base64.getEncoder().encodeToString(key).substring(0, 12));
        assertThat(text).doesNotContain(Arrays.toString(Arrays.copyOf(key, 6)).replace("]", ""));
    }

    @Test
    void oneInstanceServesManyThreads() throws Exception {
        byte[] plain = Bytes.random(11, 4096);
        try (AesXts xts = new AesXts(randomKey(12))) {
            byte[] expected = plain.clone();
            xts.encrypt(expected, 0, 4096, 99);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<Boolean>> results = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    results.add(pool.submit(() -> {
                        for (int i = 0; i < 200; i++) {
                            byte[] data = plain.clone();
                            xts.encrypt(data, 0, 4096, 99);
                            if (!Arrays.equals(data, expected)) {
                                return false;
                            }
                            xts.decrypt(data, 0, 4096, 99);
                            if (!Arrays.equals(data, plain)) {
                                return false;
                            }
                        }
                        return true;
                    }));
                }
                for (Future<Boolean> r : results) {
                    assertThat(r.get(10, TimeUnit.SECONDS)).isTrue();
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
