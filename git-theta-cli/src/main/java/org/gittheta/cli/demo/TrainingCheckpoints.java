package org.gittheta.cli.demo;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The checkpoints that the AOT cache's training run (bin/lib/java.sh) adds, in two stages: {@code base} writes the
 * versions staged first (by a filter that is not recorded), {@code next} the versions the recorded filter then
 * cleans against them: a dense fine-tune step, a step that moves only {@code lm_head}, a sparse step and a checkpoint
 * of new values. Without them the recorded filter cleaned only a tiny checkpoint, so a real {@code git add} generated
 * the method handles of compression, FFM and the encoders' lambdas at run time and spent a core in the JIT compiling
 * that generator (docs/performance.md, "Add at the speed of the machine").
 */
final class TrainingCheckpoints {
    /** bf16 tensors of 0.5–4 MiB, so that values span several 1 MiB chunks, as in a real model. */
    private static final DemoModel MODEL = new DemoModel(512, 1376, 2, 4096);

    private static final double STEP = 2.5e-3;
    private static final double SPARSE_FRACTION = 1e-3;

    private TrainingCheckpoints() {}

    /** @param args the directory to write into, then {@code base} or {@code next} */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        boolean next = switch (args[1]) {
            case "base" -> false;
            case "next" -> true;
            default -> throw new IllegalArgumentException("stage " + args[1] + ": expected base or next");
        };
        MODEL.write(dir.resolve("dense-step.safetensors"), name -> next, STEP, 1);
        MODEL.write(dir.resolve("head-step.safetensors"), name -> next && name.equals("lm_head.weight"), STEP, 2);
        MODEL.write(dir.resolve("sparse-step.safetensors"), name -> next, STEP, SPARSE_FRACTION, 3);
        if (next) MODEL.write(dir.resolve("new.safetensors"), name -> true, 1.0, 4);
    }
}
