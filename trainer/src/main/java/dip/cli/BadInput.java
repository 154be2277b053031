package dip.cli;

/**
 * Bad input that is not a command-line mistake: a corrupt or missing checkpoint, data that cannot be used, an output
 * folder that cannot be written, an engine that is not installed. Exit code {@link ExitCodes#BAD_INPUT} with the
 * one-line message only: unlike a bad flag (picocli's ParameterException), "try --help" would not help here.
 */
public final class BadInput extends RuntimeException {
    public BadInput(String message) {
        super(message);
    }

    public BadInput(String message, Throwable cause) {
        super(message, cause);
    }
}
