package org.gittheta.manifest;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every way a manifest from a hostile or broken repository is refused: one line naming the line and parameter. */
class ManifestValidationTest {
    static final String SHA = "c".repeat(64);
    static final String OID = "a".repeat(64);
    /** skeleton "{}" (2 bytes) + a F32 [2,3] parameter (24 bytes). */
    static final String HEADER = "git-theta manifest 1\nformat safetensors\nsize 26\nskeleton {}\n";

    static String param(String name, String rest) {
        return "param " + name + " " + rest + "\n";
    }

    static String valid(String name) {
        return param(name, "dtype=F32 shape=[2,3] sha256=" + SHA + " update=dense objects=" + OID + ":10");
    }

    static String withParam(String rest) {
        return HEADER + param("w", rest);
    }

    static void refused(String text, String... fragments) {
        assertThatThrownBy(() -> Manifest.parse(text))
                .isInstanceOf(ManifestException.class)
                .satisfies(e -> assertThat(e.getMessage()).contains(fragments).doesNotContain("\n"));
    }

    @Test
    void aValidManifestParses() throws Exception {
        Manifest m = Manifest.parse(HEADER + valid("w"));
        assertThat(m.fileSize()).isEqualTo(26);
        assertThat(m.params().getFirst().object().size()).isEqualTo(10);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "ABCDEF" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789" + "|uppercase",
                "aaaa|short",
                "../../../../etc/passwd|traversal",
                "aa/aa/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa|slash",
                "..aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa|dots",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa|65 digits",
            })
    void objectIdsThatAreNot64LowercaseHexAreRefused(String id, String why) {
        refused(
                withParam("dtype=F32 shape=[2,3] sha256=" + SHA + " update=dense objects=" + id + ":10"),
                "line 5",
                "parameter 'w'",
                "object id '" + id + "' is not 64 lowercase hex digits");
    }

    @Test
    void theFileSizeIsReadFromTheHeaderAloneWithTheHeadersChecks() throws Exception {
        byte[] parameterLinesBroken = (HEADER + param("w", "not a parameter")).getBytes(UTF_8);
        assertThat(Manifest.fileSizeOf(parameterLinesBroken)).isEqualTo(26);
        for (String broken : new String[] {
            "",
            "hello\n",
            "git-theta manifest 9\nformat safetensors\nsize 26\n",
            "git-theta manifest 1\nformat \n",
            "git-theta manifest 1\nformat safetensors\nsize -1\n",
            "git-theta manifest 1\r\nformat safetensors\nsize 26\n"
        }) {
            assertThatThrownBy(() -> Manifest.fileSizeOf(broken.getBytes(UTF_8)))
                    .as(broken)
                    .isInstanceOf(ManifestException.class);
        }
    }

    @Test
    void aSha256ThatIsNotHexIsRefused() {
        refused(
                withParam("dtype=F32 shape=[2,3] sha256=../x update=dense objects=" + OID + ":10"),
                "line 5",
                "sha256 '../x'");
    }

    @ParameterizedTest
    @CsvSource({"99999999999999999999", "-1", "12a", "''", "+5", "9223372036854775808"})
    void objectSizesThatAreNotNaturalLongsAreRefused(String size) {
        refused(
                withParam("dtype=F32 shape=[2,3] sha256=" + SHA + " update=dense objects=" + OID + ":" + size),
                "line 5",
                "object size '" + size + "' is not a number between 0 and 2^63-1");
    }

    @Test
    void theLargestObjectSizeIsAccepted() throws Exception {
        Manifest m = Manifest.parse(withParam(
                "dtype=F32 shape=[2,3] sha256=" + SHA + " update=dense objects=" + OID + ":9223372036854775807"));
        assertThat(m.params().getFirst().object().size()).isEqualTo(Long.MAX_VALUE);
    }

    @ParameterizedTest
    @CsvSource({"99999999999999999999", "-26", "x"})
    void fileSizesThatAreNotNaturalLongsAreRefused(String size) {
        refused(HEADER.replace("size 26", "size " + size) + valid("w"), "line 3", "size '" + size + "'");
    }

    @Test
    void shapesWhoseElementCountOverflowsAreRefused() {
        refused(
                withParam("dtype=F32 shape=[4294967296,4294967296] sha256=" + SHA + " update=dense objects=" + OID
                        + ":1"),
                "line 5",
                "parameter 'w'",
                "overflows");
    }

    @Test
    void shapesWhoseByteSizeOverflowsAreRefused() {
        refused(
                withParam(
                        "dtype=F64 shape=[4611686018427387904] sha256=" + SHA + " update=dense objects=" + OID + ":1"),
                "line 5",
                "parameter 'w'",
                "shape [4611686018427387904] of F64: byte size overflows");
    }

    @Test
    void packedShapesThatDoNotFillBytesAreRefused() {
        refused(
                withParam("dtype=F4 shape=[3] sha256=" + SHA + " update=dense objects=" + OID + ":1"),
                "line 5",
                "do not fill whole bytes");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "[-1,2]|negative",
                "[01,2]|not [d0",
                "[1,]|not [d0",
                "[+2,3]|not [d0",
                "2,3|not [d,",
                "[x]|not a number"
            })
    void malformedShapesAreRefused(String shape, String message) {
        refused(
                withParam("dtype=F32 shape=" + shape + " sha256=" + SHA + " update=dense objects=" + OID + ":1"),
                "line 5",
                message);
    }

    @Test
    void aParameterTheSizeLineDoesNotAccountForIsRefused() {
        refused(
                HEADER + valid("w") + valid("x"),
                "line 3",
                "size 26 is not the skeleton's 2 bytes plus the parameters' 48 bytes");
    }

    @Test
    void parameterSizesAddingUpPastALongAreRefused() {
        String huge = "dtype=U8 shape=[1152921504606846975] sha256=" + SHA + " update=dense objects=" + OID + ":1";
        StringBuilder text = new StringBuilder(HEADER);
        for (char name = 'a'; name < 'j'; name++) text.append(param(String.valueOf(name), huge));
        refused(text.toString(), "line 13", "add up to more than 2^63-1");
    }

    @Test
    void duplicateParametersNameBothLines() {
        refused(
                HEADER.replace("size 26", "size 50") + valid("w") + valid("w"),
                "line 6",
                "parameter 'w' appears twice (also on line 5)");
    }

    @Test
    void duplicateKeysAreRefused() {
        refused(
                withParam("dtype=F32 dtype=F16 shape=[2,3] sha256=" + SHA + " update=dense objects=" + OID + ":1"),
                "line 5",
                "key 'dtype' appears twice");
    }

    @Test
    void unknownVersionsAreNamed() {
        refused(
                "git-theta manifest 3\nformat safetensors\nsize 2\nskeleton {}\n",
                "manifest version '3' is not understood");
        refused("git-theta manifest 3\nformat \u00e9\n", "manifest version '3' is not understood");
    }

    @Test
    void crlfLineEndingsAreTakenAsGitConvertedThemOrNamedAsSuch() throws ManifestException {
        // core.autocrlf converts every line: the manifest git stores
        assertThat(Manifest.parse((HEADER + valid("w")).replace("\n", "\r\n")).toText())
                .isEqualTo(HEADER + valid("w"));
        // lines are checked as they are parsed: lines an editor changed are found
        refused(
                HEADER + valid("w").replace("\n", "\r\n"),
                "manifest has CRLF line endings on some lines (changed by an editor?)");
        // a CR that ends the text ends no line with CRLF: it is an unprintable character of the last line
        refused(HEADER + valid("w").replace("\n", "\r"), "line 5: character U+000D");
    }

    @Test
    void unknownAndMiscasedDtypesAreRefused() {
        refused(
                withParam("dtype=F99 shape=[2,3] sha256=" + SHA + " update=dense objects=" + OID + ":1"),
                "unknown dtype 'F99'");
        refused(
                withParam("dtype=f32 shape=[2,3] sha256=" + SHA + " update=dense objects=" + OID + ":1"),
                "unknown dtype 'f32'");
    }

    @Test
    void missingLinesAreNamed() {
        refused("git-theta manifest 1\n", "manifest ends after line 1: no 'format' line");
        refused("git-theta manifest 1\nformat safetensors\nsize 2\n", "manifest ends after line 3: no 'skeleton' line");
        refused("git-theta manifest 1\nformat safetensors\nskeleton {}\nsize 2\n", "line 3: expected 'size ...'");
    }

    @Test
    void missingKeysAreNamed() {
        refused(withParam("dtype=F32 shape=[2,3] update=dense objects=" + OID + ":1"), "line 5", "no sha256=");
        refused(withParam("dtype=F32 shape=[2,3] sha256=" + SHA + " update=dense"), "line 5", "no objects=");
    }

    @Test
    void emptyObjectListsAreRefusedAndAnEmptyNameIsRead() throws ManifestException {
        String emptyName = HEADER + valid("");
        assertThat(Manifest.parse(emptyName).params().getFirst().name()).isEmpty();
        assertThat(Manifest.parse(emptyName).toText()).isEqualTo(emptyName);
        refused(
                withParam("dtype=F32 shape=[2,3] sha256=" + SHA + " update=dense objects="),
                "line 5",
                "object '' is not <sha256>:<size>");
        refused(
                withParam("dtype=F32 shape=[2,3] sha256=" + SHA + " update=dense objects=" + OID + ":1,"),
                "line 5",
                "object ''");
    }

    @Test
    void controlCharactersAreRefusedAndNotEchoed() {
        refused(
                withParam("dtype=F32 shape=[2,3] sha256=" + SHA + " update=dense\u001b[2J objects=" + OID + ":1"),
                "line 5",
                "character U+001B at column");
        assertThatThrownBy(() -> Manifest.parse(HEADER + "param w\u001b]0;pwned\u0007 dtype=F32\n"))
                .satisfies(
                        e -> assertThat(e.getMessage()).doesNotContain("\u001b").doesNotContain("\u0007"));
    }

    @Test
    void escapedControlCharactersInNamesAreShownEscaped() {
        // A name may hold any bytes (written \xHH); quoting it in a message must not hand ESC or BEL to the terminal.
        refused(HEADER + "param evil\\x1b[31m\\x07 dtype=F99\n", "parameter 'evil\\x1b[31m\\x07'", "unknown dtype");
    }
}
