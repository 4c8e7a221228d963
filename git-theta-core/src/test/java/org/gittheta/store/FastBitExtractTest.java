package org.gittheta.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FastBitExtractTest {
    private static String cpuinfo(String vendor, int family) {
        return "processor\t: 0\nvendor_id\t: " + vendor + "\ncpu family\t: " + family
                + "\nmodel\t\t: 1\nflags\t\t: fpu sse2 avx2 bmi1 bmi2 sha_ni\n\n";
    }

    @Test
    void intelAndAmdFromZen3OnAreFast() {
        assertThat(FastBitExtract.fastOn("amd64", "Linux", cpuinfo("GenuineIntel", 6)))
                .isTrue();
        assertThat(FastBitExtract.fastOn("amd64", "Linux", cpuinfo("AuthenticAMD", 25)))
                .isTrue();
        assertThat(FastBitExtract.fastOn("x86_64", "Mac OS X", "")).isTrue();
    }

    @Test
    void microcodedOrMissingPextIsNot() {
        assertThat(FastBitExtract.fastOn("amd64", "Linux", cpuinfo("AuthenticAMD", 23)))
                .isFalse(); // Zen 1, 2
        assertThat(FastBitExtract.fastOn(
                        "amd64", "Linux", cpuinfo("GenuineIntel", 6).replace(" bmi2", "")))
                .isFalse();
        assertThat(FastBitExtract.fastOn("aarch64", "Linux", "")).isFalse();
        assertThat(FastBitExtract.fastOn("amd64", "Windows 11", "")).isFalse();
        assertThat(FastBitExtract.fastOn("amd64", "Linux", "")).isFalse();
    }
}
