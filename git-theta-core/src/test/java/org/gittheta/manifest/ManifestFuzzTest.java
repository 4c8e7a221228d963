package org.gittheta.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.gittheta.fuzz.FuzzLoop;
import org.gittheta.fuzz.Mutator;
import org.gittheta.store.ObjectId;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.junit.jupiter.api.Test;

/** Mutated and random manifests give a ManifestException, or a manifest whose own text parses back to it. */
class ManifestFuzzTest {
    static final int MUTATED_MANIFESTS = 8_000;
    static final int RANDOM_MANIFESTS = 3_000;

    /** Valid manifests: escaped names and skeletons, deltas with several objects, attributes, scalars. */
    static List<byte[]> validManifests() {
        Random random = new Random(31);
        List<byte[]> manifests = new ArrayList<>();
        for (int m = 0; m < 16; m++) {
            byte[] skeleton = new byte[random.nextInt(40)];
            random.nextBytes(skeleton);
            List<ParamEntry> params = new ArrayList<>();
            long size = skeleton.length;
            for (int p = random.nextInt(4); p >= 0; p--) {
                DType dtype = DType.values()[random.nextInt(12)];
                Shape shape = p % 2 == 0 ? Shape.SCALAR : Shape.of(random.nextInt(5), 1 + random.nextInt(3));
                List<ObjectRef> objects = new ArrayList<>();
                for (int o = random.nextInt(3); o >= 0; o--)
                    objects.add(new ObjectRef(id(random), random.nextInt(100_000)));
                TreeMap<String, String> attributes = new TreeMap<>();
                if (p == 1) attributes.put("lossy", "svd");
                params.add(new ParamEntry(
                        "layer " + m + "." + p + (p == 2 ? "\u001b\\é" : ""),
                        dtype,
                        shape,
                        id(random).hex(),
                        p % 3 == 0 ? "dense" : "xor-delta",
                        objects,
                        attributes));
                size += dtype.byteSize(shape.numel());
            }
            manifests.add(new Manifest("safetensors", skeleton, size, params).toBytes());
        }
        return manifests;
    }

    private static ObjectId id(Random random) {
        byte[] digest = new byte[32];
        random.nextBytes(digest);
        return ObjectId.fromDigest(digest);
    }

    private static void parse(byte[] input) throws ManifestException {
        Manifest m = Manifest.parse(input);
        assertThat(Manifest.parse(m.toBytes()).toText()).isEqualTo(m.toText());
    }

    @Test
    void validManifestsParse() throws Exception {
        for (byte[] m : validManifests()) {
            assertThat(Manifest.parse(m).toBytes()).isEqualTo(m);
        }
    }

    @Test
    void mutatedManifestsAreReadOrRefused() {
        List<byte[]> corpus = validManifests();
        Mutator mutator = new Mutator(32);
        FuzzLoop.run(MUTATED_MANIFESTS, () -> mutator.mutate(corpus), ManifestException.class, ManifestFuzzTest::parse);
    }

    @Test
    void randomTextIsRefused() {
        List<byte[]> corpus = validManifests();
        Mutator mutator = new Mutator(33);
        byte[] magic = "git-theta manifest 1\n".getBytes(StandardCharsets.US_ASCII);
        FuzzLoop.run(
                RANDOM_MANIFESTS,
                () -> mutator.random().nextBoolean()
                        ? mutator.noise(corpus, 300)
                        : mutator.mutate(List.of(magic, corpus.getFirst())),
                ManifestException.class,
                ManifestFuzzTest::parse);
    }
}
