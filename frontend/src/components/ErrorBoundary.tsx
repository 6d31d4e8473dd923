/** Keeps a rendering failure inside one view: a message instead of a blank page. */
import { Component, type ReactNode } from "react";

interface ErrorBoundaryProps {
  what: string;
  /** A new value (another image, another neuron) clears the error and tries again. */
  resetKey: string;
  children: ReactNode;
}

export class ErrorBoundary extends Component<ErrorBoundaryProps, { error: Error | null }> {
  override state = { error: null as Error | null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override componentDidUpdate(previous: ErrorBoundaryProps) {
    if (previous.resetKey !== this.props.resetKey && this.state.error)
      this.setState({ error: null });
  }

  override render() {
    if (this.state.error) {
      return (
        <p className="status status-error" role="alert">
          The {this.props.what} could not be drawn: {this.state.error.message} Try another image or
          reload the page.
        </p>
      );
    }
    return this.props.children;
  }
}
