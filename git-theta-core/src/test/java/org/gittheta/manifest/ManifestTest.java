package org.gittheta.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.gittheta.store.ObjectId;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.junit.jupiter.api.Test;

class ManifestTest {
    static final ObjectId A = new ObjectId("a".repeat(64));
    static final ObjectId B = new ObjectId("b".repeat(64));

    static ParamEntry entry(String name) {
        return new ParamEntry(name, DType.BF16, Shape.of(2, 3), "c".repeat(64), "dense", List.of(new ObjectRef(A, 10)));
    }

    @Test
    void textIsSortedOneLinePerParameterAndParsesBack() throws Exception {
        TreeMap<String, String> attrs = new TreeMap<>();
        attrs.put("lossy", "svd");
        ParamEntry delta = new ParamEntry(
                "a weird name\twith\\tab",
                DType.F32,
                Shape.SCALAR,
                "d".repeat(64),
                "xor-delta",
                List.of(new ObjectRef(B, 7), new ObjectRef(A, 10)),
                attrs);
        Manifest m = new Manifest(
                "safetensors",
                new byte[] {8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', '\\', (byte) 0xff},
                13 + 4 + 12,
                List.of(entry("z.weight"), delta));
        String text = m.toText();
        assertThat(text.lines()).hasSize(6);
        assertThat(text.lines().toList().get(3))
                .isEqualTo("skeleton \\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x00{} \\\\\\xff");
        assertThat(text.lines().toList().get(4))
                .startsWith("param a\\x20weird\\x20name\\x09with\\\\tab dtype=F32 shape=[] ")
                .endsWith("update=xor-delta objects=" + B.hex() + ":7," + A.hex() + ":10 lossy=svd");
        assertThat(text.lines().toList().get(5)).startsWith("param z.weight dtype=BF16 shape=[2,3] sha256=");
        Manifest back = Manifest.parse(text);
        assertThat(back.toText()).isEqualTo(text);
        assertThat(back.skeleton()).isEqualTo(m.skeleton());
        assertThat(back.params()).isEqualTo(m.params());
    }

    @Property(tries = 200)
    void anySkeletonBytesAndNamesRoundTrip(@ForAll byte[] skeleton, @ForAll String name) throws Exception {
        if (name.isEmpty()) return;
        Manifest m = new Manifest("safetensors", skeleton, skeleton.length + 12, List.of(entry(name)));
        Manifest back = Manifest.parse(m.toBytes());
        assertThat(back.skeleton()).isEqualTo(skeleton);
        assertThat(back.params().getFirst().name()).isEqualTo(name);
    }

    @Test
    void unknownVersionsAndBrokenLinesAreRejectedClearly() {
        assertThatThrownBy(() -> Manifest.parse("git-theta manifest 9\nformat x\nsize 1\nskeleton \n"))
                .isInstanceOf(ManifestException.class)
                .hasMessageContaining("version '9'");
        assertThatThrownBy(() ->
                        Manifest.parse("git-theta manifest 1\nformat x\nsize 4\nskeleton \nparam a dtype=F99 shape=[1] "
                                + "sha256=x update=dense objects="
                                + A.hex() + ":1\n"))
                .hasMessageContaining("line 5")
                .hasMessageContaining("'a'")
                .hasMessageContaining("F99");
        assertThatThrownBy(() -> Manifest.parse("hello")).hasMessageContaining("not a git-theta manifest");
    }

    @Test
    void duplicateParametersAreRejected() {
        assertThatThrownBy(() -> new Manifest("safetensors", new byte[0], 0, List.of(entry("a"), entry("a"))))
                .hasMessageContaining("'a' appears twice");
    }
}
