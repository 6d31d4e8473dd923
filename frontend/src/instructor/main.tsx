import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { QueryProvider } from "../api/QueryProvider";
import { InstructorApp } from "./InstructorApp";
import "../styles.css";
import "../study/study.css";
import "./instructor.css";

const root = document.getElementById("root");
if (root)
  createRoot(root).render(
    <StrictMode>
      <QueryProvider>
        <InstructorApp />
      </QueryProvider>
    </StrictMode>,
  );
