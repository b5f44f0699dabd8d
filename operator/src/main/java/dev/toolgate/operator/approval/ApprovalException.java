package dev.toolgate.operator.approval;

/** A request of the approval API that is answered with an HTTP error status and a message naming what is wrong. */
public class ApprovalException extends RuntimeException {

    private final int status;

    public ApprovalException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
