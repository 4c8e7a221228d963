package org.gittheta.bench;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.gittheta.cli.demo.DemoModel;

/**
 * Writes benchmark checkpoints: {@code GenerateModel <file> <MiB> [<tensor fraction> <element fraction> <relative step>
 * <seed>]}.
 * Without the tuning arguments, the base model; with them, a fine-tune that moves the given fraction of
 * elements in the given fraction of tensors (spread evenly over the file, at least one).
 */
public final class GenerateModel {
    private GenerateModel() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2 && args.length != 6) {
            System.err.println(
                    "usage: GenerateModel <file> <MiB> [<tensor fraction> <element fraction> <relative step> <seed>]");
            System.exit(2);
        }
        DemoModel model = DemoModel.ofSize(Long.parseLong(args[1]) << 20);
        if (args.length == 2) {
            model.write(Path.of(args[0]), name -> false, 0, 1.0, 0);
            return;
        }
        Set<String> tuned = tuned(model, Double.parseDouble(args[2]));
        long seed = Long.parseLong(args[5]);
        model.write(Path.of(args[0]), tuned::contains, Double.parseDouble(args[4]), Double.parseDouble(args[3]), seed);
    }

    /** The given fraction of the model's tensors (at least one), spread evenly over the file. */
    static Set<String> tuned(DemoModel model, double fraction) {
        List<DemoModel.Param> params = model.params();
        int count = Math.max(1, (int) Math.round(params.size() * fraction));
        Set<String> tuned = new HashSet<>();
        for (int i = 0; i < count; i++)
            tuned.add(params.get((int) ((long) i * params.size() / count)).name());
        return tuned;
    }
}
