"""Notebook 07: AgentAlign, safety-alignment data for agents from abstract behavior chains (arXiv:2505.23020)."""

from .chains import BUILTIN_CHAINS, BehaviorChain, load_chains
from .experiment import (PROFILES, VARIANTS, AgentAlignConfig, Data, examples, format_prompt, prepare, run_all,
                         split_chains)
from .harness import evaluate, grade, parse_calls
from .sandbox import INSTANCES, TOOLS, Tool, ToolCallError, World, call_tool
from .synthesis import (BLOCKLIST, HARM_LEXICON, Instruction, OpenAICompatibleBackend, Synthesis, TemplateBackend,
                        blocked, executable, response, synthesize)
from . import paper
from .taxonomy import CAPABILITIES, HARM_CATEGORIES

__all__ = [
    "paper", "BUILTIN_CHAINS", "BehaviorChain", "load_chains", "PROFILES", "VARIANTS", "AgentAlignConfig", "Data", "examples",
    "format_prompt", "prepare", "run_all", "split_chains", "evaluate", "grade", "parse_calls", "INSTANCES", "TOOLS", "Tool",
    "ToolCallError", "World", "call_tool", "BLOCKLIST", "blocked", "HARM_LEXICON", "Instruction", "OpenAICompatibleBackend",
    "Synthesis", "TemplateBackend", "executable", "response", "synthesize", "CAPABILITIES", "HARM_CATEGORIES",
]
