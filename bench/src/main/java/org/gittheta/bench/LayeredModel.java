package org.gittheta.bench;

import java.nio.file.Path;
import org.gittheta.cli.demo.DemoModel;

/**
 * A LLaMA-shaped bf16 checkpoint of the given dimensions ({@code LayeredModel <file> <hidden> <intermediate>
 * <layers> <vocab>}): with a small hidden size and many layers, thousands of small parameters.
 */
public final class LayeredModel {
    private LayeredModel() {}

    public static void main(String[] a) throws Exception {
        DemoModel model = new DemoModel(
                Integer.parseInt(a[1]), Integer.parseInt(a[2]), Integer.parseInt(a[3]), Integer.parseInt(a[4]));
        model.write(Path.of(a[0]), name -> false, 0, 0);
        System.out.println(model.params().size());
    }
}
