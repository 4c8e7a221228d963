package org.gittheta.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether {@link Long#compress} is one fast instruction here. The JIT turns it into x86's PEXT wherever the CPU has
 * BMI2, but AMD's CPUs before Zen 3 (family 25) run PEXT as microcode of tens to hundreds of cycles, and elsewhere
 * (ARM without SVE2) it is a loop over the bits: both far slower than shifts and masks. Only CPUs known to be fast
 * say yes: x86-64 on Linux whose {@code /proc/cpuinfo} names an Intel CPU with BMI2 or an AMD one of family 25 or
 * later, and x86-64 Macs (Intel).
 */
final class FastBitExtract {
    private static final Pattern FAMILY = Pattern.compile("(?m)^cpu family\\s*:\\s*(\\d+)");
    private static final int AMD_ZEN3_FAMILY = 25;
    private static final int FIRST_CPU_BYTES = 1 << 14;

    /** Declared after the pattern {@link #detect} uses, which static initialisation sets first. */
    static final boolean AVAILABLE = detect();

    private FastBitExtract() {}

    private static boolean detect() {
        String arch = System.getProperty("os.arch", "");
        String os = System.getProperty("os.name", "");
        String cpu;
        try (InputStream in = Files.newInputStream(Path.of("/proc/cpuinfo"))) {
            cpu = new String(in.readNBytes(FIRST_CPU_BYTES), StandardCharsets.ISO_8859_1); // the first CPU's lines
        } catch (IOException | RuntimeException e) {
            cpu = "";
        }
        return fastOn(arch, os, cpu);
    }

    /** @param cpuinfo the start of Linux's {@code /proc/cpuinfo}, empty where there is none */
    static boolean fastOn(String arch, String os, String cpuinfo) {
        if (!arch.equals("amd64") && !arch.equals("x86_64")) return false;
        String name = os.toLowerCase(Locale.ROOT);
        if (name.startsWith("mac")) return true;
        if (!name.startsWith("linux") || !cpuinfo.contains(" bmi2")) return false;
        if (cpuinfo.contains("GenuineIntel")) return true;
        Matcher family = FAMILY.matcher(cpuinfo);
        return cpuinfo.contains("AuthenticAMD")
                && family.find()
                && Integer.parseInt(family.group(1)) >= AMD_ZEN3_FAMILY;
    }
}
