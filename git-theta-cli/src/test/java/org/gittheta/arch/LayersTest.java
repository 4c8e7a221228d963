package org.gittheta.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The layering of docs/architecture.md, checked on the production class files of every module: the CLI sits on the
 * filters, both on core; core is a library (it never prints, exits, reads the environment or starts processes); JGit
 * stays behind core's {@code repo} package; commands share code through core or helpers, never through each other;
 * the CLI's sub-packages (one per concern) build on its root package and on each other without cycles, and of the
 * root package only {@code Main}, which registers every command, looks into them.
 */
final class LayersTest {
    private static final String CLI = "org.gittheta.cli..";
    private static final String FILTERS = "org.gittheta.filter..";
    private static final DescribedPredicate<JavaClass> CORE = DescribedPredicate.describe(
            "core (org.gittheta.* outside cli, filter and the test support)",
            type -> type.getPackageName().startsWith("org.gittheta.")
                    && !type.getPackageName().startsWith("org.gittheta.cli")
                    && !type.getPackageName().startsWith("org.gittheta.filter")
                    && !type.getPackageName().startsWith("org.gittheta.testing"));
    /** The shared test support (module git-theta-testing) is on the tests' class path, but it is no production code. */
    private static final String TEST_SUPPORT = "org.gittheta.testing..";

    private static final JavaClasses PRODUCTION = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
            .withImportOption(location -> !location.contains("/org/gittheta/testing/"))
            .importPackages("org.gittheta");

    @Test
    void importsEveryModule() {
        // an empty import would make every rule below pass: see that each layer is there
        for (String layer : new String[] {
            "org.gittheta.cli",
            "org.gittheta.cli.setup",
            "org.gittheta.cli.store",
            "org.gittheta.cli.history",
            "org.gittheta.cli.merge",
            "org.gittheta.cli.plumbing",
            "org.gittheta.cli.demo",
            "org.gittheta.filter",
            "org.gittheta.store"
        }) {
            if (PRODUCTION.stream().noneMatch(type -> type.getPackageName().equals(layer))) {
                throw new AssertionError("no production class imported from " + layer);
            }
        }
    }

    @Test
    void productionCodeNeverUsesTheTestSupport() {
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAPackage(TEST_SUPPORT)
                .check(PRODUCTION);
    }

    @Test
    void layersDependOnlyDownwards() {
        layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .layer("cli")
                .definedBy(CLI)
                .layer("filters")
                .definedBy(FILTERS)
                .layer("core")
                .definedBy(CORE)
                .whereLayer("cli")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("filters")
                .mayOnlyBeAccessedByLayers("cli")
                .whereLayer("core")
                .mayOnlyBeAccessedByLayers("filters", "cli")
                .check(PRODUCTION);
    }

    @Test
    void coreIsALibrary() {
        noClasses()
                .that(CORE)
                .should()
                .dependOnClassesThat()
                .resideInAPackage("picocli..")
                .orShould()
                .callMethod(System.class, "exit", int.class)
                .orShould()
                .callMethod(Runtime.class, "exit", int.class)
                .orShould()
                .callMethod(Runtime.class, "halt", int.class)
                .orShould()
                .callMethod(System.class, "getenv")
                .orShould()
                .callMethod(System.class, "getenv", String.class)
                .orShould()
                .accessField(System.class, "out")
                .orShould()
                .accessField(System.class, "err")
                .orShould()
                .dependOnClassesThat()
                .areAssignableTo(ProcessBuilder.class)
                .orShould()
                .dependOnClassesThat()
                .areAssignableTo(Process.class)
                .because("the CLI is the only place that prints, exits, reads the environment or starts processes")
                .check(PRODUCTION);
    }

    @Test
    void jgitStaysBehindTheRepositoryPackage() {
        noClasses()
                .that()
                .resideOutsideOfPackage("org.gittheta.repo..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("org.eclipse.jgit..")
                .check(PRODUCTION);
    }

    @Test
    void corePackagesHaveNoCycles() {
        slices().matching("org.gittheta.(*)..").should().beFreeOfCycles().check(PRODUCTION.that(CORE));
    }

    @Test
    void cliSubPackagesHaveNoCycles() {
        slices().matching("org.gittheta.cli.(*)..").should().beFreeOfCycles().check(PRODUCTION);
    }

    @Test
    void onlyMainLooksIntoTheCliSubPackages() {
        noClasses()
                .that()
                .resideInAPackage("org.gittheta.cli")
                .and(DescribedPredicate.not(entryPoint()))
                .should()
                .dependOnClassesThat()
                .resideInAPackage("org.gittheta.cli.*..")
                .because("the root package holds what every command shares; only Main registers the commands "
                        + "(FastPath starts git's own ones without picocli)")
                .check(PRODUCTION);
    }

    @Test
    void commandsDoNotDependOnOtherCommands() {
        classes()
                .that()
                .resideInAPackage(CLI)
                .and(inCommand())
                .should(new ArchCondition<>("not depend on another command") {
                    @Override
                    public void check(JavaClass type, ConditionEvents events) {
                        String own = topLevelName(type);
                        for (Dependency dependency : type.getDirectDependenciesFromSelf()) {
                            JavaClass target = dependency.getTargetClass();
                            if (isCommand(target) && !topLevelName(target).equals(own)) {
                                events.add(SimpleConditionEvent.violated(dependency, dependency.getDescription()));
                            }
                        }
                    }
                })
                .check(PRODUCTION);
    }

    private static DescribedPredicate<JavaClass> entryPoint() {
        return DescribedPredicate.describe(
                "Main or FastPath",
                type -> Set.of("org.gittheta.cli.Main", "org.gittheta.cli.FastPath")
                        .contains(topLevelName(type)));
    }

    private static DescribedPredicate<JavaClass> inCommand() {
        return DescribedPredicate.describe("belong to a *Command", LayersTest::isCommand);
    }

    private static boolean isCommand(JavaClass type) {
        return type.getPackageName().startsWith("org.gittheta.cli")
                && topLevelName(type).endsWith("Command");
    }

    private static String topLevelName(JavaClass type) {
        String name = type.getName();
        int nested = name.indexOf('$');
        return nested < 0 ? name : name.substring(0, nested);
    }
}
