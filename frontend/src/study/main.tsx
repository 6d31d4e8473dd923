import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { QueryProvider } from "../api/QueryProvider";
import { StudyApp } from "./StudyApp";
import "../styles.css";
import "./study.css";

const root = document.getElementById("root");
if (root)
  createRoot(root).render(
    <StrictMode>
      <QueryProvider>
        <StudyApp />
      </QueryProvider>
    </StrictMode>,
  );
