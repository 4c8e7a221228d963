package org.gittheta.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.gittheta.text.Printable;

/** Plain-text tables for terminals. */
public final class Table {
    private Table() {}

    /**
     * Pads columns to their widest cell; columns {@code firstNumber..lastNumber} are right-aligned. Cells hold names
     * from checkpoints, so each is shown through {@link Printable#escape(String)}.
     */
    public static List<String> align(List<String[]> cells, int firstNumber, int lastNumber) {
        List<String[]> rows = cells.stream()
                .map(r -> Arrays.stream(r).map(Printable::escape).toArray(String[]::new))
                .toList();
        int[] width = new int[rows.getFirst().length];
        for (String[] r : rows) for (int i = 0; i < r.length; i++) width[i] = Math.max(width[i], r[i].length());
        List<String> lines = new ArrayList<>();
        for (String[] r : rows) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                String pad = " ".repeat(width[i] - r[i].length());
                b.append(i == 0 ? "" : "  ").append(i >= firstNumber && i <= lastNumber ? pad + r[i] : r[i] + pad);
            }
            lines.add(b.toString().stripTrailing());
        }
        return lines;
    }
}
