package org.gittheta.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.gittheta.store.ObjectId;
import org.gittheta.store.ObjectStore;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.junit.jupiter.api.Test;

/** Values kept in the manifest line ({@code update=inline values=<base64>}): written, read back, and validated. */
class InlineValuesManifestTest {
    private static final byte[] VALUES = {0, 0, -128, 63, 0, 0, 0, 64, 0, 0, 64, 64}; // F32 1, 2, 3
    private static final String B64 = Base64.getEncoder().encodeToString(VALUES);
    /** skeleton "{}" (2 bytes) + a F32 [3] parameter (12 bytes). */
    private static final String HEADER = "git-theta manifest 2\nformat safetensors\nsize 14\nskeleton {}\n";

    /** A parameter stored as an object (400 bytes of F32). */
    private static final ParamEntry LARGE = new ParamEntry(
            "w",
            DType.F32,
            Shape.of(100),
            "c".repeat(64),
            "dense",
            List.of(new ObjectRef(new ObjectId("a".repeat(64)), 99)));

    private static String sha(byte[] bytes) {
        return HexFormat.of().formatHex(ObjectStore.sha256().digest(bytes));
    }

    private static String line(String values, String sha) {
        return HEADER + "param b dtype=F32 shape=[3] sha256=" + sha + " update=inline values=" + values + "\n";
    }

    @Test
    void inlineValuesRoundTripBesideObjectsInAVersion2Manifest() throws Exception {
        ParamEntry small = ParamEntry.inline("b", DType.F32, Shape.of(3), sha(VALUES), new InlineValues(VALUES));
        Manifest m = new Manifest("safetensors", "{}".getBytes(StandardCharsets.US_ASCII), 414, List.of(LARGE, small));
        String text = m.toText();
        assertThat(text)
                .startsWith("git-theta manifest 2\n")
                .contains("param b dtype=F32 shape=[3] sha256=" + sha(VALUES) + " update=inline values=" + B64 + "\n");
        Manifest back = Manifest.parse(text);
        assertThat(back).usingRecursiveComparison().isEqualTo(m);
        assertThat(back.toText()).isEqualTo(text);
        ParamEntry b = back.byName().get("b");
        assertThat(b.isInline()).isTrue();
        assertThat(b.inline().orElseThrow().bytes()).isEqualTo(VALUES);
        assertThat(b.objects()).isEmpty();
        assertThat(b.chainDepth()).isZero();
        assertThat(b.storedBytes()).isEqualTo(12);
    }

    @Test
    void aManifestWithoutInlineValuesStaysVersion1() {
        assertThat(new Manifest("safetensors", new byte[0], 400, List.of(LARGE)).toText())
                .startsWith("git-theta manifest 1\n");
    }

    @Property(tries = 300)
    void anyValuesRoundTrip(@ForAll @Size(max = 256) byte[] values) throws Exception {
        Shape shape = Shape.of(values.length);
        ParamEntry e = ParamEntry.inline("p", DType.U8, shape, sha(values), new InlineValues(values));
        Manifest m = new Manifest("safetensors", new byte[0], values.length, List.of(e));
        Manifest back = Manifest.parse(m.toText());
        assertThat(back.params().getFirst().inline().orElseThrow().bytes()).isEqualTo(values);
    }

    @Test
    void badBase64IsRefusedInOneLine() {
        ManifestValidationTest.refused(
                line("AAAAAAAA*AAAAAAA", sha(VALUES)), "line 5", "parameter 'b'", "values= is not base64");
        // one F32 (4 bytes, "AACAPw=="): the last character before the padding carries 4 unused bits, here set
        byte[] one = {0, 0, -128, 63};
        ManifestValidationTest.refused(
                "git-theta manifest 2\nformat safetensors\nsize 6\nskeleton {}\nparam b dtype=F32 shape=[1] sha256="
                        + sha(one) + " update=inline values=AACAPx==\n",
                "line 5",
                "not canonical base64");
    }

    @Test
    void valuesOfTheWrongLengthAreRefusedBeforeDecoding() {
        String eight = Base64.getEncoder().encodeToString(new byte[8]);
        ManifestValidationTest.refused(line(eight, sha(new byte[8])), "line 5", "'b'", "F32 [3] needs 16", "12 bytes");
        String padded = Base64.getEncoder().encodeToString(new byte[10]); // 16 characters for 10 bytes
        ManifestValidationTest.refused(line(padded, sha(new byte[10])), "line 5", "holds 10 bytes, F32 [3] is 12");
    }

    @Test
    void valuesThatDoNotHashToTheLinesSha256AreRefused() {
        ManifestValidationTest.refused(
                line(B64, "c".repeat(64)), "line 5", "parameter 'b'", "hash to " + sha(VALUES), "not sha256=cccc");
    }

    @Test
    void inlineValuesMustBeAloneAndInAVersion2Manifest() {
        String v1 = HEADER.replace("manifest 2", "manifest 1");
        ManifestValidationTest.refused(
                v1 + "param b dtype=F32 shape=[3] sha256=" + sha(VALUES) + " update=inline values=" + B64 + "\n",
                "line 5",
                "inline values, which need manifest version 2, not 1");
        ManifestValidationTest.refused(
                line(B64 + " objects=" + "a".repeat(64) + ":1", sha(VALUES)), "inline values with objects=");
        ManifestValidationTest.refused(line(B64 + " lossy=svd-r2", sha(VALUES)), "inline values with attributes");
        ManifestValidationTest.refused(
                HEADER + "param b dtype=F32 shape=[3] sha256=" + sha(VALUES) + " update=inline\n", "no values=");
        ManifestValidationTest.refused(
                HEADER + "param b dtype=F32 shape=[3] sha256=" + sha(VALUES) + " update=dense objects=" + "a".repeat(64)
                        + ":1 values=" + B64 + "\n",
                "values= with update=dense");
    }
}
